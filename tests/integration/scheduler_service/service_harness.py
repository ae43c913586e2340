"""Helpers for tests that run the real ``dagmap scheduler`` (and ``standalone``) as processes: databases of
their own, the process with its log, polling with deadlines, reading run and instance states, a TCP proxy
that can cut the database off. Imported by the scheduler_service and fault tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from dagmap.config import reset_settings
from dagmap.states import DagRunType
from dagmap.store import db
from dagmap.store.orm import JobRow, TaskInstanceHistoryRow, TaskInstanceRow
from dagmap.store.queries import dag_runs, serialized_dags

DAGMAP = str(Path(sys.executable).with_name("dagmap"))
FAST = {
    "DAGMAP__SCHEDULER__LOOP_INTERVAL": "0.05",
    "DAGMAP__SCHEDULER__DAG_DIR_LIST_INTERVAL": "0.5",
    "DAGMAP__SCHEDULER__HEARTBEAT_INTERVAL": "0.5",
    "DAGMAP__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "3",
    "DAGMAP__SCHEDULER__TASK_QUEUED_TIMEOUT": "3",
    "DAGMAP__SCHEDULER__SCHEDULER_HEARTBEAT_TIMEOUT": "3",
    "DAGMAP__CORE__PARALLELISM": "2",
    "DAGMAP__CORE__DAG_FILE_PROCESSOR_TIMEOUT": "20",
}
"""Small timeouts so that fault handling happens within seconds."""


# --- databases ---------------------------------------------------------------------------------------------


def _use(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", url)
    reset_settings()
    db.dispose_engines()
    db.migrate(url)


@pytest.fixture
def sqlite_url(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database of the test's own (copied from the session's template)."""
    path = tmp_path / "dagmap.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    url = f"sqlite:///{path}"
    _use(url, monkeypatch)
    yield url
    db.dispose_engines()
    reset_settings()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated PostgreSQL database of the test's own, dropped afterwards."""
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    template: str = request.getfixturevalue("postgres_template")
    name = f"dagmap_service_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    _use(url, monkeypatch)
    try:
        yield url
    finally:
        db.dispose_engines()
        reset_settings()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- waiting -----------------------------------------------------------------------------------------------


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str, watch: Sequence[ServiceProcess] = ()) -> Any:
    """Poll ``condition`` until it returns something truthy (returned); fail after ``timeout`` seconds, or
    at once when a watched process exits."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        for process in watch:
            if not process.alive:
                pytest.fail(f"{process.name} exited ({process.returncode}) while waiting for {what}:\n{process.log}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.log[-4000:]}" for p in watch)
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs}")
        time.sleep(0.05)


# --- processes ---------------------------------------------------------------------------------------------


class ServiceProcess:
    """``dagmap <args>`` in a session of its own, output in a log file; ``close()`` kills what is left."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log_path: Path, name: str = "scheduler") -> None:
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.popen = subprocess.Popen(
            [DAGMAP, *args], env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} did not exit within {timeout}s:\n{self.log[-4000:]}")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for the exit code."""
        if self.alive:
            self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def close(self) -> None:
        """Kill the process group (the scheduler, its fork server, workers and parse children)."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(10)
        self._log.close()


def service_env(url: str, home: Path, dags_folder: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(FAST)
    env.update(
        DAGMAP_HOME=str(home),
        DAGMAP__DATABASE__SQL_ALCHEMY_CONN=url,
        DAGMAP__CORE__DAGS_FOLDER=str(dags_folder),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Start ``dagmap`` processes: ``services(args, env, name=...)``; all are killed at the end."""
    started: list[ServiceProcess] = []

    def start(args: Sequence[str], env: dict[str, str], name: str = "scheduler") -> ServiceProcess:
        process = ServiceProcess(args, env, tmp_path / f"{name}-{len(started)}.log", name)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


# --- the database's view -----------------------------------------------------------------------------------


def query(url: str, read: Callable[[Any], Any]) -> Any:
    with db.session_factory(url)() as session:
        return read(session)


def dag_stored(url: str, dag_id: str) -> bool:
    return bool(query(url, lambda s: serialized_dags.spec_hashes(s, [dag_id])))


def trigger(url: str, dag_id: str, run_id: str | None = None, conf: dict[str, Any] | None = None) -> str:
    """A manual queued run of the stored DAG; returns its run id."""
    run_id = run_id or f"manual__{uuid.uuid4().hex[:8]}"
    with db.session_factory(url).begin() as session:
        spec = serialized_dags.load(session, dag_id)
        dag_runs.create_dag_run(
            session, spec, run_id=run_id, logical_date=datetime.now(UTC), run_type=DagRunType.MANUAL, conf=conf or {}
        )
    return run_id


def run_state(url: str, dag_id: str, run_id: str) -> str:
    return str(query(url, lambda s: dag_runs.get_dag_run(s, dag_id, run_id).state))


def instances(url: str, dag_id: str, run_id: str) -> list[tuple[str, int, str | None, int, str | None]]:
    """``(task_id, map_index, state, try_number, queued_by)`` of every instance of the run."""
    statement = select(
        TaskInstanceRow.task_id,
        TaskInstanceRow.map_index,
        TaskInstanceRow.state,
        TaskInstanceRow.try_number,
        TaskInstanceRow.queued_by,
    ).where(TaskInstanceRow.dag_id == dag_id, TaskInstanceRow.run_id == run_id)
    return [tuple(row) for row in query(url, lambda s: s.execute(statement).all())]  # type: ignore[misc]


def history(url: str, dag_id: str, run_id: str) -> list[tuple[str, int, int, str | None, str | None]]:
    """``(task_id, map_index, try_number, state, error)`` of every recorded try of the run."""
    statement = select(
        TaskInstanceHistoryRow.task_id,
        TaskInstanceHistoryRow.map_index,
        TaskInstanceHistoryRow.try_number,
        TaskInstanceHistoryRow.state,
        TaskInstanceHistoryRow.error,
    ).where(TaskInstanceHistoryRow.dag_id == dag_id, TaskInstanceHistoryRow.run_id == run_id)
    return [tuple(row) for row in query(url, lambda s: s.execute(statement).all())]  # type: ignore[misc]


def scheduler_jobs(url: str) -> list[tuple[int, str, int | None]]:
    """``(id, state, pid)`` of every scheduler job, oldest first."""
    statement = select(JobRow.id, JobRow.state, JobRow.pid).where(JobRow.job_type == "SchedulerJob").order_by(JobRow.id)
    return [tuple(row) for row in query(url, lambda s: s.execute(statement).all())]  # type: ignore[misc]


def live_job_of(url: str, pid: int) -> int | None:
    found = [job_id for job_id, state, job_pid in scheduler_jobs(url) if state == "running" and job_pid == pid]
    return found[0] if found else None


# --- cutting the database off ------------------------------------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``; ``cut()`` closes every connection and refuses new ones until
    ``restore()``. Threads only: bounded by the connections the test's processes open."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.port = 0
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, []
        if listener is not None:
            listener.close()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
