"""``wait_for_file_lock``: retries only DuckDB's lock conflict, with growing pauses, until its deadline."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest

from dagmap.connections import Connection
from dagmap.errors import DagmapError
from dagmap.providers.sql.dialect_hooks import DEFAULT_LOCK_TIMEOUT, DuckDBHook, is_lock_conflict, wait_for_file_lock

CONFLICT = 'IO Error: Could not set lock on file "/data/w.duckdb": Conflicting lock is held in python (PID 7)'


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def failing(times: int, error: Exception) -> Callable[[], str]:
    calls = {"n": 0}

    def connect() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return f"connected after {calls['n']} calls"

    return connect


def test_only_the_lock_conflict_counts() -> None:
    assert is_lock_conflict(duckdb.IOException(CONFLICT))
    assert not is_lock_conflict(duckdb.IOException('IO Error: Cannot open file "/x": No such file or directory'))
    assert not is_lock_conflict(OSError(CONFLICT))


def test_a_conflict_is_retried_with_growing_capped_pauses_until_the_open_succeeds() -> None:
    fake = FakeTime()
    waits: list[str] = []

    connected = wait_for_file_lock(
        failing(12, duckdb.IOException(CONFLICT)),
        database="/data/w.duckdb",
        conn_id="warehouse",
        timeout=60,
        on_wait=lambda: waits.append("waiting"),
        sleep=fake.sleep,
        clock=fake.clock,
    )

    assert connected == "connected after 13 calls"
    assert waits == ["waiting"]  # told once, not at every retry
    assert len(fake.pauses) == 12
    assert fake.pauses[0] <= 0.02
    assert max(fake.pauses) <= 0.5
    assert fake.pauses[-1] > 0.2, "the pause grows towards its cap"


def test_the_deadline_ends_the_wait_with_an_error_naming_file_and_connection() -> None:
    fake = FakeTime()
    error = duckdb.IOException(CONFLICT)

    with pytest.raises(DagmapError) as raised:
        wait_for_file_lock(
            failing(10**6, error),
            database="/data/w.duckdb",
            conn_id="warehouse",
            timeout=5,
            sleep=fake.sleep,
            clock=fake.clock,
        )

    assert fake.now == pytest.approx(5)  # the last pause ends at the deadline, not past it
    assert "/data/w.duckdb" in str(raised.value) and "'warehouse'" in str(raised.value)
    assert raised.value.__cause__ is error


def test_other_errors_are_not_retried() -> None:
    fake = FakeTime()
    with pytest.raises(duckdb.IOException, match="Cannot open"):
        wait_for_file_lock(
            failing(1, duckdb.IOException("IO Error: Cannot open file")),
            database="/x",
            conn_id=None,
            timeout=60,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert fake.pauses == []


def test_the_timeout_comes_from_the_argument_else_the_extra_else_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGMAP_CONN_DUCK_LOCK", Connection("duck_lock", "duckdb", host="/tmp/x.duckdb").get_uri())
    extra = {"lock_timeout": "7.5"}
    monkeypatch.setenv(
        "DAGMAP_CONN_DUCK_LOCK_7", Connection("d", "duckdb", host="/tmp/x.duckdb", extra=extra).get_uri()
    )

    assert DuckDBHook("duck_lock").lock_timeout == DEFAULT_LOCK_TIMEOUT
    assert DuckDBHook("duck_lock_7").lock_timeout == 7.5
    assert DuckDBHook("duck_lock_7", lock_timeout=3).lock_timeout == 3
