"""The API server's own processes: ``api-server`` with a bearer token on a fresh home (it migrates the
database), and ``dagmap standalone`` serving the API next to its scheduler, which runs a run triggered over
HTTP."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import CORPUS, Server, free_port, server_env

FAST = {
    "DAGMAP__SCHEDULER__LOOP_INTERVAL": "0.05",
    "DAGMAP__SCHEDULER__DAG_DIR_LIST_INTERVAL": "0.5",
    "DAGMAP__SCHEDULER__HEARTBEAT_INTERVAL": "0.5",
    "DAGMAP__CORE__PARALLELISM": "2",
}


def wait_until(condition: Callable[[], Any], *, what: str, server: Server, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if server.popen.poll() is not None:
            pytest.fail(f"the process exited ({server.popen.returncode}) while waiting for {what}:\n{server.log}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{server.log[-4000:]}")
        time.sleep(0.05)


def test_bearer_token(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(tmp_path / "home", None, tmp_path / "dags", DAGMAP__API__AUTH_TOKEN="s3cret")
    server = Server(["api-server", "--port", str(port)], env, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        server.wait_for(f"{base}/health")
        assert httpx.get(f"{base}/health").json()["metadatabase"]["status"] == "healthy"
        refused = httpx.get(f"{base}/dags")
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert httpx.get(f"{base}/dags", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.post(f"{base}/pools", json={"name": "p", "slots": 1}).status_code == 401
        allowed = httpx.get(f"{base}/dags", headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200 and allowed.json() == {"dags": [], "total_entries": 0}
    finally:
        server.close()
    assert "http://127.0.0.1:" in server.log


def test_standalone_serves_the_api_and_runs_a_run_triggered_over_http(tmp_path: Path) -> None:
    home, dags = tmp_path / "home", tmp_path / "dags"
    dags.mkdir()
    (dags / "mapping_reducer.py").write_bytes((CORPUS / "mapping_reducer.py").read_bytes())
    port = free_port()
    env = server_env(home, None, dags, **FAST)
    standalone = Server(["standalone", "--api-port", str(port)], env, tmp_path / "standalone.log")
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_until(lambda: "Stop: Ctrl-C" in standalone.log, what="the banner", server=standalone)
        assert f"API and UI:   http://127.0.0.1:{port}/" in standalone.log
        client = httpx.Client(base_url=base, timeout=30)
        wait_until(
            lambda: client.get("/health").json()["scheduler"]["status"] == "healthy",
            what="a scheduler heartbeat",
            server=standalone,
        )
        run = client.post("/dags/mapping_reducer/dagRuns", json={"dag_run_id": "over-http"}).json()
        assert run["state"] == "queued"
        path = "/dags/mapping_reducer/dagRuns/over-http"
        wait_until(lambda: client.get(path).json()["state"] in ("success", "failed"), what="the run", server=standalone)
        assert client.get(path).json()["state"] == "success"
        mapped = client.get(f"{path}/taskInstances/square/listMapped").json()
        assert [ti["state"] for ti in mapped["task_instances"]] == ["success"] * 4
        client.close()
        standalone.popen.send_signal(signal.SIGINT)
        assert standalone.popen.wait(30) == 0
    finally:
        standalone.close()
    assert "dagmap standalone stopped" in standalone.log
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=2)
