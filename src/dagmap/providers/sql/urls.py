"""SQLAlchemy URLs and connect arguments from a :class:`Connection` (postgres, sqlite, duckdb)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL

from dagmap.connections.connection import Connection
from dagmap.errors import ConfigurationError

DEFAULT_DRIVERS = {"postgres": "postgresql+psycopg", "sqlite": "sqlite", "duckdb": "duckdb"}
"""SQLAlchemy scheme per connection type; the extra ``sqlalchemy_scheme`` overrides it."""

_NOT_CONNECT_ARGS = frozenset({"sqlalchemy_scheme", "cursor", "log_sql", "iam", "aws_conn_id"})
MEMORY = ":memory:"


def file_database(connection: Connection) -> str:
    """The database file of a sqlite / duckdb connection: its host, else its schema, else in memory."""
    return connection.host or connection.schema or MEMORY


def sqlalchemy_url_for(connection: Connection) -> URL:
    conn_type = connection.conn_type or ""
    extra = connection.extra_dejson
    scheme = extra.get("sqlalchemy_scheme") or DEFAULT_DRIVERS.get(conn_type)
    if scheme is None:
        supported = ", ".join(sorted(DEFAULT_DRIVERS))
        raise ConfigurationError(
            f"Connection {connection.conn_id!r} has type {conn_type!r}; SQL hooks support {supported} "
            "(or set the extra 'sqlalchemy_scheme')"
        )
    if conn_type in ("sqlite", "duckdb"):
        database = file_database(connection)
        if database == MEMORY and conn_type == "sqlite":
            return URL.create(scheme)
        return URL.create(scheme, database=database)
    return URL.create(
        scheme,
        username=connection.login,
        password=connection.password,
        host=connection.host,
        port=connection.port,
        database=connection.schema,
    )


def connect_args_for(connection: Connection) -> dict[str, Any]:
    """Driver keyword arguments: a PostgreSQL connection's extras (``sslmode``, ``connect_timeout``, ...)."""
    if connection.conn_type != "postgres":
        return {}
    return {key: value for key, value in connection.extra_dejson.items() if key not in _NOT_CONNECT_ARGS}


def is_memory_url(url: URL) -> bool:
    """A sqlite / duckdb database that lives only as long as its connection."""
    return url.get_backend_name() in ("sqlite", "duckdb") and url.database in (None, "", MEMORY)
