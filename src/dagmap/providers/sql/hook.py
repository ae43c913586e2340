"""``SqlHook``: DB-API work over a SQLAlchemy engine built from a connection (PostgreSQL, SQLite, DuckDB).

SQL parameters use the driver's own style: ``%s`` / ``%(name)s`` for PostgreSQL, ``?`` for SQLite and
DuckDB. Table and column names are written into the SQL as given (quote them yourself when needed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from dagmap.connections.connection import Connection
from dagmap.errors import ConfigurationError, DagmapError
from dagmap.providers.base import BaseHook
from dagmap.providers.sql import csv_load
from dagmap.providers.sql.urls import connect_args_for, is_memory_url, sqlalchemy_url_for

if TYPE_CHECKING:
    import pandas

Parameters = Sequence[Any] | Mapping[str, Any] | None
Handler = Callable[[Any], Any]

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":{n}", "numeric_dollar": "${n}"}


def fetch_all_handler(cursor: Any) -> list[tuple[Any, ...]] | None:
    """Every row of a statement that returns rows, ``None`` for one that does not."""
    return list(cursor.fetchall()) if cursor.description is not None else None


def fetch_one_handler(cursor: Any) -> tuple[Any, ...] | None:
    """The first row, or ``None`` (no row, or a statement that returns none)."""
    return cursor.fetchone() if cursor.description is not None else None


def split_sql_string(sql: str) -> list[str]:
    """The statements of a script, comments removed (quotes and dollar-quoted bodies are respected)."""
    import sqlparse

    stripped = sqlparse.format(sql, strip_comments=True)
    return [statement.strip() for statement in sqlparse.split(stripped) if statement.strip().rstrip(";")]


class SqlHook(BaseHook):
    """Runs SQL on the database of ``conn_id`` (or of ``sqlalchemy_url``); one engine per hook."""

    conn_name_attr = "conn_id"
    hook_name = "SQL"

    def __init__(
        self,
        conn_id: str | None = None,
        sqlalchemy_url: str | URL | None = None,
        *,
        schema: str | None = None,
        engine_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if conn_id is None and sqlalchemy_url is None:
            raise ConfigurationError(f"{type(self).__name__} needs a conn_id or a sqlalchemy_url")
        self.conn_id = conn_id
        self._url = make_url(sqlalchemy_url) if sqlalchemy_url is not None else None
        self.schema = schema
        self.engine_kwargs = dict(engine_kwargs or {})

    # --- where -----------------------------------------------------------------------------------------
    @cached_property
    def connection(self) -> Connection | None:
        return self.get_connection(self.conn_id) if self._url is None and self.conn_id else None

    @cached_property
    def sqlalchemy_url(self) -> URL:
        url = self._url if self._url is not None else sqlalchemy_url_for(self._require_connection())
        return url.set(database=self.schema) if self.schema else url

    def _require_connection(self) -> Connection:
        if self.connection is None:  # pragma: no cover - the constructor guarantees one of the two
            raise ConfigurationError("No connection")
        return self.connection

    def get_uri(self) -> str:
        """The SQLAlchemy URL, password included (do not log it unmasked)."""
        return self.sqlalchemy_url.render_as_string(hide_password=False)

    @property
    def dialect_name(self) -> str:
        """``postgresql``, ``sqlite``, ``duckdb``, ..."""
        return self.get_sqlalchemy_engine().dialect.name

    @property
    def placeholder(self) -> str:
        """The driver's positional placeholder, ``{n}`` standing for the 1-based position where needed."""
        style = self.get_sqlalchemy_engine().dialect.dbapi.paramstyle  # type: ignore[union-attr]
        if style not in _PLACEHOLDERS:
            raise DagmapError(f"Unsupported DB-API parameter style {style!r}")
        return _PLACEHOLDERS[style]

    # --- engines and connections -----------------------------------------------------------------------
    @cached_property
    def _engine(self) -> Engine:
        return self._create_engine(self.engine_kwargs)

    def _create_engine(self, engine_kwargs: Mapping[str, Any]) -> Engine:
        kwargs = dict(engine_kwargs)
        # Hooks are short-lived: without a pool no connection outlives the call that opened it. An
        # in-memory database lives in its connection, so it keeps SQLAlchemy's default pool.
        if "poolclass" not in kwargs and not is_memory_url(self.sqlalchemy_url):
            kwargs["poolclass"] = NullPool
        if self.connection is not None:
            connect_args = connect_args_for(self.connection)
            if connect_args:
                kwargs["connect_args"] = {**connect_args, **kwargs.get("connect_args", {})}
        return create_engine(self.sqlalchemy_url, **kwargs)

    def get_sqlalchemy_engine(self, engine_kwargs: Mapping[str, Any] | None = None) -> Engine:
        """The hook's engine; with ``engine_kwargs`` a new one that the caller disposes."""
        return self._create_engine({**self.engine_kwargs, **engine_kwargs}) if engine_kwargs else self._engine

    def get_conn(self) -> Any:
        """A DB-API connection (SQLAlchemy's proxy of it); the caller closes it."""
        return self.get_sqlalchemy_engine().raw_connection()

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        if "_engine" in self.__dict__:
            self._engine.dispose()

    def __enter__(self) -> SqlHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    @contextmanager
    def dbapi_connection(self, autocommit: bool = False) -> Iterator[Any]:
        """A DB-API connection, closed (returned to the pool) on exit.

        Without ``autocommit`` the work is one transaction until :meth:`commit`; with it every statement
        commits on its own.
        """
        conn = self.get_conn()
        try:
            restore = self._set_autocommit(conn.driver_connection) if autocommit else None
            if not autocommit:
                self._begin(conn)
            try:
                yield conn
            finally:
                if restore is not None:
                    restore()
        finally:
            conn.close()

    def _begin(self, conn: Any) -> None:
        # DuckDB's Python connection commits every statement unless a transaction is opened explicitly;
        # the other drivers open one implicitly, as DB-API says.
        if self.dialect_name == "duckdb":
            conn.driver_connection.begin()

    def commit(self, conn: Any) -> None:
        """Commit the work on ``conn`` (from :meth:`dbapi_connection`) and start the next transaction."""
        conn.commit()
        self._begin(conn)

    def _set_autocommit(self, driver: Any) -> Callable[[], None] | None:
        name = self.dialect_name
        if name == "sqlite":
            previous = driver.isolation_level
            driver.isolation_level = None
            return lambda: setattr(driver, "isolation_level", previous)
        if name == "duckdb":
            return None  # outside an explicit transaction DuckDB commits every statement
        previous = driver.autocommit
        driver.autocommit = True
        return lambda: setattr(driver, "autocommit", previous)

    # --- running SQL -----------------------------------------------------------------------------------
    def run(
        self,
        sql: str | Iterable[str],
        autocommit: bool = False,
        parameters: Parameters = None,
        handler: Handler | None = None,
        split_statements: bool = False,
        return_last: bool = True,
    ) -> Any:
        """Run one statement or several in one transaction (each its own with ``autocommit``).

        With a ``handler`` the result of ``handler(cursor)`` after each statement is returned: the single
        result for one string of SQL (the last one when split and ``return_last``), else a list.
        """
        scalar = isinstance(sql, str)
        if isinstance(sql, str):
            statements = split_sql_string(sql) if split_statements else [sql]
        else:
            statements = list(sql)
        if not any(statement.strip() for statement in statements):
            raise DagmapError("No SQL statement to run", argument="sql")
        results: list[Any] = []
        with self.dbapi_connection(autocommit) as conn:
            cursor = conn.cursor()
            try:
                for statement in statements:
                    self.log.info("Running statement: %s, parameters: %s", statement, parameters)
                    _execute(cursor, statement, parameters)
                    if handler is not None:
                        results.append(handler(cursor))
                if not autocommit:
                    self.commit(conn)
            except BaseException:
                if not autocommit:
                    conn.rollback()
                raise
            finally:
                cursor.close()
        if handler is None:
            return None
        if scalar and (return_last or not split_statements):
            return results[-1]
        return results

    def get_records(self, sql: str | Iterable[str], parameters: Parameters = None) -> Any:
        """All rows (a list of tuples) of ``sql``; a list of such lists for several statements."""
        return self.run(sql, parameters=parameters, handler=fetch_all_handler)

    def get_first(self, sql: str | Iterable[str], parameters: Parameters = None) -> Any:
        """The first row of ``sql`` or ``None``."""
        return self.run(sql, parameters=parameters, handler=fetch_one_handler)

    def get_pandas_df(self, sql: str, parameters: Parameters = None, **kwargs: Any) -> pandas.DataFrame:
        """The result as a DataFrame (needs the ``sql`` extra: pandas); ``kwargs`` go to ``read_sql``."""
        import pandas as pd

        with self.get_sqlalchemy_engine().connect() as conn:
            return pd.read_sql(sql, conn, params=parameters, **kwargs)

    def insert_rows(
        self,
        table: str,
        rows: Iterable[Sequence[Any]],
        target_fields: Sequence[str] | None = None,
        commit_every: int = 1000,
    ) -> int:
        """Insert ``rows`` with ``executemany``, committing every ``commit_every`` rows (0: once at the end).

        Returns the number of rows inserted.
        """
        columns = f" ({', '.join(target_fields)})" if target_fields else ""
        inserted = 0
        with self.dbapi_connection() as conn:
            cursor = conn.cursor()
            batch: list[tuple[Any, ...]] = []
            try:
                for row in rows:
                    batch.append(tuple(row))
                    if commit_every and len(batch) >= commit_every:
                        inserted += self._insert_batch(conn, cursor, table, columns, batch)
                        batch = []
                if batch:
                    inserted += self._insert_batch(conn, cursor, table, columns, batch)
            except BaseException:
                conn.rollback()
                raise
            finally:
                cursor.close()
        self.log.info("Inserted %d rows into %s", inserted, table)
        return inserted

    def _insert_batch(self, conn: Any, cursor: Any, table: str, columns: str, batch: list[tuple[Any, ...]]) -> int:
        marks = ", ".join(self.placeholder.format(n=position) for position in range(1, len(batch[0]) + 1))
        cursor.executemany(f"INSERT INTO {table}{columns} VALUES ({marks})", batch)
        self.commit(conn)
        return len(batch)

    def copy_csv_from_bytes(
        self,
        table: str,
        data: bytes | Iterable[bytes],
        columns: Sequence[str] | None = None,
        header: bool = True,
        delimiter: str = ",",
    ) -> int:
        """Load CSV ``data`` into ``table`` by the database's own bulk path; returns the rows loaded.

        ``data`` is one CSV document or several (each with its own header line when ``header``), loaded in
        one transaction. PostgreSQL uses ``COPY ... FROM STDIN``, DuckDB ``read_csv``, others batched
        INSERTs. ``columns`` name the table columns the fields go to, in order (default: all, in table
        order). An empty unquoted field is NULL.
        """
        documents = [bytes(data)] if isinstance(data, bytes | bytearray | memoryview) else data
        return csv_load.copy_csv(self, table, documents, columns, header, delimiter)


def _execute(cursor: Any, statement: str, parameters: Parameters) -> None:
    if parameters is None:
        cursor.execute(statement)
    else:
        cursor.execute(statement, parameters)
