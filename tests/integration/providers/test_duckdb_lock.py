"""DuckDBHook and the lock of a DuckDB file held by another process: the open waits until the lock is
released, or fails with a clear error after the connection's ``lock_timeout``; other errors are not retried."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagmap.connections import Connection
from dagmap.errors import ConfigurationError, DagmapError
from dagmap.providers.sql import DuckDBHook, hook_for_connection

WAITING = "is locked by another process; waiting"

HOLDER = """
import sys, duckdb
database = duckdb.connect(sys.argv[1])
database.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
database.begin()
database.execute("INSERT INTO t VALUES (1)")
print("held", flush=True)
sys.stdin.readline()
database.commit()
database.close()
print("released", flush=True)
"""
"""Opens the file (taking its lock), inserts a row in an open transaction, commits and closes on a line."""


class Holder:
    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "held\n"

    def release(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline() == "released\n"
        assert self.process.wait(30) == 0

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)  # also closes the pipes


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Callable[[Path], Holder]]:
    started: list[Holder] = []

    def start(path: Path) -> Holder:
        started.append(Holder(path))
        return started[-1]

    yield start
    for process in started:
        process.kill()


def duckdb_connection(define_connection: Callable[[Connection], str], path: Path, **extra: Any) -> str:
    conn_id = f"duck_{uuid.uuid4().hex[:8]}"
    return define_connection(Connection(conn_id, "duckdb", host=str(path), extra=extra or None))


def wait_for_log(caplog: pytest.LogCaptureFixture, text: str, worker: threading.Thread) -> None:
    deadline = time.monotonic() + 60
    while not any(text in record.getMessage() for record in caplog.records):
        assert worker.is_alive(), "the open ended without waiting for the lock"
        assert time.monotonic() < deadline, f"no log line {text!r}"
        time.sleep(0.02)


def test_the_open_waits_for_the_other_process_and_sees_its_committed_rows(
    tmp_path: Path,
    holder: Callable[[Path], Holder],
    define_connection: Callable[[Connection], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "shared.duckdb"
    other = holder(path)
    conn_id = duckdb_connection(define_connection, path, lock_timeout=60)
    results: list[Any] = []
    caplog.set_level(logging.INFO, logger="dagmap.providers.sql")

    def count_rows() -> None:
        with hook_for_connection(conn_id) as hook:
            results.append(hook.get_first("SELECT COUNT(*) FROM t"))

    worker = threading.Thread(target=count_rows)
    worker.start()
    wait_for_log(caplog, WAITING, worker)
    assert results == []  # still waiting while the other process holds the file

    other.release()
    worker.join(60)
    assert not worker.is_alive()
    assert results == [(1,)], "the row the other process committed before releasing the file"


def test_the_open_fails_clearly_when_the_lock_is_never_released(
    tmp_path: Path, holder: Callable[[Path], Holder], define_connection: Callable[[Connection], str]
) -> None:
    path = tmp_path / "held.duckdb"
    other = holder(path)
    conn_id = duckdb_connection(define_connection, path, lock_timeout=0.3)

    with hook_for_connection(conn_id) as hook, pytest.raises(DagmapError) as raised:
        hook.get_first("SELECT 1")

    message = str(raised.value)
    assert str(path) in message
    assert repr(conn_id) in message
    assert "still locked by another process after 0.3s" in message
    assert "lock_timeout" in message
    assert raised.value.details == {"database": str(path), "conn_id": conn_id}
    assert isinstance(raised.value.__cause__, duckdb.IOException)
    assert other.process.poll() is None, "the other process still holds the file"


def test_loads_of_two_processes_into_one_file_are_serialized(tmp_path: Path) -> None:
    path = tmp_path / "loads.duckdb"
    DuckDBHook(sqlalchemy_url=f"duckdb:///{path}").run("CREATE TABLE loads (worker INTEGER, n INTEGER)")
    script = (
        "import sys\n"
        "from dagmap.providers.sql import DuckDBHook\n"
        "hook = DuckDBHook(sqlalchemy_url='duckdb:///' + sys.argv[1], lock_timeout=120)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "for n in range(20):\n"
        "    hook.insert_rows('loads', [(int(sys.argv[2]), n)])\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), str(worker)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for worker in (1, 2)
    ]
    for worker in workers:  # both imported dagmap: start their loads together
        assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    assert [worker.communicate(timeout=120)[0] for worker in workers] == ["", ""]
    assert [worker.returncode for worker in workers] == [0, 0]

    rows = DuckDBHook(sqlalchemy_url=f"duckdb:///{path}").get_records("SELECT worker, COUNT(*) FROM loads GROUP BY 1")
    assert sorted(rows) == [(1, 20), (2, 20)]


def test_other_errors_are_raised_at_once(
    tmp_path: Path, define_connection: Callable[[Connection], str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dagmap.providers.sql")
    conn_id = duckdb_connection(define_connection, tmp_path / "no such folder" / "x.duckdb", lock_timeout=600)
    with hook_for_connection(conn_id) as hook, pytest.raises(duckdb.IOException, match="Cannot open"):
        hook.get_first("SELECT 1")
    assert not any(WAITING in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("value", ["soon", -1])
def test_a_bad_lock_timeout_is_a_configuration_error(
    tmp_path: Path, define_connection: Callable[[Connection], str], value: object
) -> None:
    conn_id = duckdb_connection(define_connection, tmp_path / "x.duckdb", lock_timeout=value)
    with hook_for_connection(conn_id) as hook, pytest.raises(ConfigurationError, match="lock_timeout"):
        hook.get_first("SELECT 1")
