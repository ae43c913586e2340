"""A task that prints and logs a connection's password and a sensitive variable: the task log hides them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dagmap.config import reset_settings
from dagmap.connections import Connection
from dagmap.services.dag_test import run_dag_test
from dagmap.store.db import dispose_engines

PASSWORD = "Leaky/Pa$$:w0rd"
TOKEN = "tok-1f2e3d4c5b6a"

DAG_FILE = """
import logging

from dagmap import DAG, Connection, Variable, task

with DAG("leaky", schedule=None):

    @task
    def leak():
        conn = Connection.get("leaky_db")
        token = Variable.get("service_token")
        print(f"password={conn.password} token={token}")
        logging.getLogger("user.code").info("uri %s extra %r", conn.get_uri(), conn.extra_dejson)
        raise RuntimeError(f"cannot log in with {conn.password}")

    leak()
"""


@pytest.fixture
def dagmap_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("DAGMAP_HOME", str(home))
    monkeypatch.delenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", raising=False)
    reset_settings()
    yield home
    dispose_engines()
    reset_settings()


def test_task_log_never_shows_the_secrets(
    dagmap_home: Path,
    define_connection: Callable[[Connection], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    define_connection(
        Connection("leaky_db", "postgres", "db.internal", login="app", password=PASSWORD, extra={"api_key": "k-9876"})
    )
    monkeypatch.setenv("DAGMAP_VAR_SERVICE_TOKEN", TOKEN)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "leaky.py").write_text(DAG_FILE)
    report = run_dag_test("leaky", dags_folder=dags)
    assert report.state == "failed"
    [log_file] = (dagmap_home / "logs").rglob("*.log")
    text = log_file.read_text()
    assert "password=*** token=***" in text
    assert "postgres://app:***@db.internal" in text
    assert "'api_key': '***'" in text
    assert "cannot log in with ***" in text
    for secret in (PASSWORD, "Leaky%2FPa%24%24%3Aw0rd", TOKEN, "k-9876"):
        assert secret not in text
