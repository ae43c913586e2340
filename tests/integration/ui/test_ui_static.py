"""mount_ui on a bare FastAPI application (no API, no browser): every page path answers the shell with its
security headers, every packaged asset is served with its type, and no script builds markup from strings."""

from __future__ import annotations

import mimetypes
import warnings

import pytest
from fastapi import FastAPI

from dagmap.ui import PAGES, STATIC, mount_ui

with warnings.catch_warnings():  # this Starlette warns that its test client will move to the httpx2 package
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    mount_ui(app)
    return TestClient(app)


def test_every_page_path_answers_the_shell(client: TestClient) -> None:
    shell = (STATIC / "index.html").read_text()
    for pattern in PAGES:
        path = pattern.format(dag_id="my_dag", run_id="manual__2024-01-01T00%3A00%3A00%2B00%3A00", task_id="t")
        response = client.get(path, params={"map_index": 3})
        assert response.status_code == 200, path
        assert response.text == shell
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-cache"
    assert client.get("/api/v1/dags").status_code == 404  # the API's paths are not the UI's
    assert client.get("/dags/a/b/c/d/e/f/g").status_code == 404


def test_every_packaged_asset_is_served(client: TestClient) -> None:
    assets = [path for path in STATIC.rglob("*") if path.is_file()]
    assert {"index.html", "app.css", "app.js", "layout.js", "panels.js", "grid.js", "graph.js"} <= {
        path.name for path in assets
    }
    for path in assets:
        response = client.get(f"/static/{path.relative_to(STATIC).as_posix()}")
        assert response.status_code == 200, path
        assert response.content == path.read_bytes()
        expected = mimetypes.guess_type(path.name)[0]
        assert expected and response.headers["content-type"].startswith(expected.split(";")[0]), path
        assert response.headers["cache-control"] == "no-cache"
        again = client.get(
            f"/static/{path.relative_to(STATIC).as_posix()}", headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304
    assert client.get("/static/js/nope.js").status_code == 404


def test_no_script_builds_markup_from_strings() -> None:
    """User text (DAG ids, conf, logs, stack traces, XComs) reaches the page only as text nodes."""
    scripts = list((STATIC / "js").rglob("*.js"))
    assert scripts
    for script in scripts:
        source = script.read_text()
        for sink in SINKS:
            assert sink not in source, f"{script.relative_to(STATIC)} uses {sink}"
