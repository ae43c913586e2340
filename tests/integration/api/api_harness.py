"""Helpers of the API tests (imported by conftest.py and the test modules): the real ``dagmap api-server`` as a
process, once per test session and database (SQLite, PostgreSQL), over a fresh DAGMAP_HOME whose database holds
real runs of corpus DAGs with mapped tasks (run in-process as ``dags test`` does). Tests talk to it over HTTP
with httpx; ``Api.drive`` steps a run to its end with the scheduler loop, ``Api.settings()`` points this process
at the same database for the few direct reads.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import manage_harness
import pytest
from sqlalchemy import create_engine, event, text

from dagmap.config import reset_settings
from dagmap.store import db

DAGMAP = str(Path(sys.executable).with_name("dagmap"))
HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "dags"
EXAMPLE = HERE.parents[2] / "examples" / "dags" / "fan_out.py"
"""The DAG of docs/api.md's examples: stored, not run."""
CORPUS_DAGS = ("mapping_failed_instance", "mapping_reducer", "mapping_params_conf")
"""Run once each at LOGICAL_DATE when the session starts."""
LOGICAL_DATE = datetime(2024, 1, 1, tzinfo=UTC)
RUN = "manual__2024-01-01T00:00:00+00:00"
START_TIMEOUT = 60.0
OBJECT_STORE = {
    "DAGMAP__CORE__MAX_MAP_LENGTH": "10000",
    "DAGMAP__CORE__XCOM_BACKEND": "object_store",
    "DAGMAP__CORE__XCOM_OBJECT_STORE_THRESHOLD": "0",
}
"""Every XCom value goes to the object store ($DAGMAP_HOME/xcom): reads decode it, clears delete it."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``dagmap <args>`` in a session of its own, output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.popen = subprocess.Popen(
            [DAGMAP, *args], env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, url: str, *, timeout: float = START_TIMEOUT) -> None:
        """Until ``url`` answers (any status); fail when the process exits first."""
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                pytest.fail(f"the server exited ({self.popen.returncode}):\n{self.log[-4000:]}")
            try:
                httpx.get(url, timeout=2)
                return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer {url} within {timeout}s:\n{self.log[-4000:]}")
            time.sleep(0.05)

    def close(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._log.close()


def server_env(home: Path, url: str | None, dags: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DAGMAP")}
    env.update(DAGMAP_HOME=str(home), DAGMAP__CORE__DAGS_FOLDER=str(dags), PYTHONUNBUFFERED="1")
    env.update(OBJECT_STORE)
    if url is not None:
        env["DAGMAP__DATABASE__SQL_ALCHEMY_CONN"] = url
    env.update(extra)
    return env


@dataclass
class Api:
    """A running API server over a populated database."""

    kind: str
    base_url: str
    db_url: str
    home: Path
    dags: Path
    client: httpx.Client
    server: Server

    @contextmanager
    def settings(self) -> Iterator[None]:
        """This process's settings and engines point at the server's home and database for the block."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DAGMAP_HOME", str(self.home))
            patch.setenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", self.db_url)
            patch.setenv("DAGMAP__CORE__DAGS_FOLDER", str(self.dags))
            for key, value in OBJECT_STORE.items():
                patch.setenv(key, value)
            reset_settings()
            db.dispose_engines()
            try:
                yield
            finally:
                db.dispose_engines()
                reset_settings()

    def drive(self, dag_id: str, run_id: str) -> str:
        """Step the run to its end with the scheduler loop and the inline executor (as ``dags test``)."""
        with self.settings():
            return str(manage_harness.drive(dag_id, run_id, self.dags)[run_id])

    def run_path(self, dag_id: str, run_id: str = RUN) -> str:
        return f"/dags/{dag_id}/dagRuns/{run_id}"

    def trigger(self, dag_id: str, run_id: str, **body: Any) -> dict[str, Any]:
        response = self.client.post(f"/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id, **body})
        assert response.status_code == 200, response.text
        return dict(response.json())


@contextmanager
def counted(url: str) -> Iterator[list[str]]:
    """The SQL statements run on ``url``'s engine inside the block."""
    statements: list[str] = []
    engine = db.get_engine(url)

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _populate(api: Api) -> None:
    from dagmap.services.dag_test import run_dag_test
    from dagmap.services.dags import get_spec

    with api.settings():
        db.migrate(api.db_url)
        for dag_id in CORPUS_DAGS:
            run_dag_test(dag_id, logical_date=LOGICAL_DATE, dags_folder=api.dags)
        with db.session_scope() as session:  # stored, never run: their runs are triggered through the API
            for dag_id in ("api_wide", "fan_out", "asset_producer", "asset_consumer", "api_teardown"):
                get_spec(session, dag_id, dags_folder=api.dags)


def _database(kind: str, request: pytest.FixtureRequest, home: Path) -> tuple[str, Any]:
    """A fresh migrated database URL and how to drop it."""
    if kind == "sqlite":
        path = home / "dagmap.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}", lambda: None
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    template: str = request.getfixturevalue("postgres_template")
    name = f"dagmap_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture(scope="session", params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    kind = str(request.param)
    home = tmp_path_factory.mktemp(f"api_{kind}")
    dags = home / "dags"
    dags.mkdir()
    for name in CORPUS_DAGS:
        shutil.copyfile(CORPUS / f"{name}.py", dags / f"{name}.py")
    shutil.copyfile(HERE / "dags" / "api_wide.py", dags / "api_wide.py")
    shutil.copyfile(HERE / "dags" / "api_assets.py", dags / "api_assets.py")
    shutil.copyfile(EXAMPLE, dags / "fan_out.py")
    shutil.copyfile(HERE / "dags" / "api_teardown.py", dags / "api_teardown.py")
    url, drop = _database(kind, request, home)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/api/v1"
    server: Server | None = None
    client = httpx.Client(base_url=base_url, timeout=30)
    try:
        placeholder = Api(kind, base_url, url, home, dags, client, None)  # type: ignore[arg-type]
        _populate(placeholder)
        server = Server(["api-server", "--port", str(port)], server_env(home, url, dags), home / "server.log")
        server.wait_for(f"{base_url}/health")
        placeholder.server = server
        yield placeholder
    finally:
        client.close()
        if server is not None:
            server.close()
        db.dispose_engines()
        drop()
