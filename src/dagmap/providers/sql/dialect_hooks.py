"""``PostgresHook``, ``DuckDBHook``, ``SqliteHook``: :class:`SqlHook` under the names and defaults users know.

:func:`hook_for_connection` picks the class from a connection's ``conn_type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL

from dagmap.connections.connection import Connection
from dagmap.providers.sql.hook import SqlHook


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
    ) -> None:
        super().__init__(duckdb_conn_id, sqlalchemy_url, engine_kwargs=engine_kwargs)
        self.duckdb_conn_id = duckdb_conn_id


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
    hook_class = HOOKS_BY_CONN_TYPE.get(connection.conn_type or "", SqlHook)
    hook = hook_class(conn_id)
    hook.schema = schema
    hook.__dict__["connection"] = connection  # already fetched: do not walk the secrets chain twice
    return hook
