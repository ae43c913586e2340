"""``PostgresHook``, ``DuckDBHook``, ``SqliteHook``: :class:`SqlHook` under the names and defaults users know.

:func:`hook_for_connection` picks the class from a connection's ``conn_type``. ``DuckDBHook`` waits while
another process holds the database file's lock (DuckDB is single-writer across processes).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from dagmap.connections.connection import Connection
from dagmap.errors import ConfigurationError, DagmapError
from dagmap.providers.sql.hook import SqlHook
from dagmap.providers.sql.urls import is_memory_url

T = TypeVar("T")

DEFAULT_LOCK_TIMEOUT = 120.0
"""Seconds a DuckDB connection waits for a file locked by another process (the extra ``lock_timeout``)."""

_FIRST_DELAY = 0.02
_LONGEST_DELAY = 0.5


class PostgresHook(SqlHook):
    conn_name_attr = "postgres_conn_id"
    default_conn_name = "postgres_default"
    conn_type = "postgres"
    hook_name = "PostgreSQL"

    def __init__(
        self,
        postgres_conn_id: str | None = default_conn_name,
        sqlalchemy_url: str | URL | None = None,
        *,
        schema: str | None = None,
        engine_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(postgres_conn_id, sqlalchemy_url, schema=schema, engine_kwargs=engine_kwargs)
        self.postgres_conn_id = postgres_conn_id


class DuckDBHook(SqlHook):
    """A DuckDB file is single-writer across processes: opening it waits while another process holds its
    lock, retrying with a short backoff for ``lock_timeout`` seconds (the argument, else the connection's
    extra ``lock_timeout``, else 120), then raises DagmapError. Other errors are raised at once."""

    conn_name_attr = "duckdb_conn_id"
    default_conn_name = "duckdb_default"
    conn_type = "duckdb"
    hook_name = "DuckDB"

    def __init__(
        self,
        duckdb_conn_id: str | None = default_conn_name,
        sqlalchemy_url: str | URL | None = None,
        *,
        engine_kwargs: Mapping[str, Any] | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        super().__init__(duckdb_conn_id, sqlalchemy_url, engine_kwargs=engine_kwargs)
        self.duckdb_conn_id = duckdb_conn_id
        self._lock_timeout = lock_timeout

    @property
    def lock_timeout(self) -> float:
        """Seconds to wait for the file lock of another process."""
        if self._lock_timeout is not None:
            return self._lock_timeout
        value = self.connection.extra_dejson.get("lock_timeout") if self.connection is not None else None
        if value is None:
            return DEFAULT_LOCK_TIMEOUT
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = -1.0
        if not seconds >= 0:
            raise ConfigurationError(
                f"Connection {self.conn_id!r}: the extra lock_timeout must be a number of seconds >= 0, not {value!r}"
            )
        return seconds

    def _create_engine(self, engine_kwargs: Mapping[str, Any]) -> Engine:
        engine = super()._create_engine(engine_kwargs)
        if not is_memory_url(self.sqlalchemy_url):  # a database in memory has no file to lock
            event.listen(engine, "do_connect", self._connect_waiting_for_lock)
        return engine

    def _connect_waiting_for_lock(self, dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        return wait_for_file_lock(
            lambda: dialect.connect(*cargs, **cparams),
            database=str(self.sqlalchemy_url.database),
            conn_id=self.conn_id if self.connection is not None else None,
            timeout=self.lock_timeout,
            on_wait=lambda: self.log.info(
                "DuckDB file %s is locked by another process; waiting up to %gs for it",
                self.sqlalchemy_url.database,
                self.lock_timeout,
            ),
        )


def is_lock_conflict(error: BaseException) -> bool:
    """Whether ``error`` is DuckDB's refusal to open a file whose lock another process holds."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - without DuckDB there is no DuckDB error
        return False
    return isinstance(error, duckdb.IOException) and "Could not set lock on file" in str(error)


def wait_for_file_lock(
    connect: Callable[[], T],
    *,
    database: str,
    conn_id: str | None,
    timeout: float,
    on_wait: Callable[[], object] = lambda: None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``connect()``, called again after a short, growing pause while it fails on a lock conflict, for up
    to ``timeout`` seconds; ``on_wait`` is called before the first pause. Other errors propagate at once."""
    deadline = clock() + timeout
    delay = _FIRST_DELAY
    waited = False
    while True:
        try:
            return connect()
        except Exception as error:
            if not is_lock_conflict(error):
                raise
            remaining = deadline - clock()
            if remaining <= 0:
                source = f"connection {conn_id!r}; " if conn_id else ""
                raise DagmapError(
                    f"DuckDB database file {database} is still locked by another process after {timeout:g}s "
                    f"({source}{error}). DuckDB allows one writing process at a time: raise the connection's "
                    "extra lock_timeout, or use PostgreSQL for parallel writers",
                    database=database,
                    conn_id=conn_id,
                ) from error
            if not waited:
                on_wait()
                waited = True
            # Jitter keeps waiting processes from retrying in lockstep.
            sleep(min(delay * random.uniform(0.5, 1.0), remaining))
            delay = min(delay * 2, _LONGEST_DELAY)


class SqliteHook(SqlHook):
    conn_name_attr = "sqlite_conn_id"
    default_conn_name = "sqlite_default"
    conn_type = "sqlite"
    hook_name = "SQLite"

    def __init__(
        self,
        sqlite_conn_id: str | None = default_conn_name,
        sqlalchemy_url: str | URL | None = None,
        *,
        engine_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(sqlite_conn_id, sqlalchemy_url, engine_kwargs=engine_kwargs)
        self.sqlite_conn_id = sqlite_conn_id


HOOKS_BY_CONN_TYPE: dict[str, type[SqlHook]] = {
    "postgres": PostgresHook,
    "duckdb": DuckDBHook,
    "sqlite": SqliteHook,
}


def hook_for_connection(conn_id: str, schema: str | None = None) -> SqlHook:
    """The hook class of the connection's type (``SqlHook`` for other types), bound to ``conn_id``.

    ``schema`` replaces the connection's database, as the ``schema`` argument of :class:`SqlHook` does.
    """
    connection = Connection.get(conn_id)
    hook: SqlHook
    if connection.conn_type == "snowflake":  # an optional extra: imported only when used
        from dagmap.providers.snowflake.hooks.snowflake import SnowflakeHook

        hook = SnowflakeHook(conn_id, database=schema)
    else:
        hook = HOOKS_BY_CONN_TYPE.get(connection.conn_type or "", SqlHook)(conn_id)
        hook.schema = schema
    hook.__dict__["connection"] = connection  # already fetched: do not walk the secrets chain twice
    return hook
