"""SQL databases through SQLAlchemy: PostgreSQL (psycopg), SQLite, DuckDB. Needs the ``sql`` extra for
pandas and DuckDB."""

from dagmap.providers.sql.dialect_hooks import (
    HOOKS_BY_CONN_TYPE,
    DuckDBHook,
    PostgresHook,
    SqliteHook,
    hook_for_connection,
)
from dagmap.providers.sql.hook import SqlHook, fetch_all_handler, fetch_one_handler, split_sql_string

__all__ = [
    "HOOKS_BY_CONN_TYPE",
    "DuckDBHook",
    "PostgresHook",
    "SqlHook",
    "SqliteHook",
    "fetch_all_handler",
    "fetch_one_handler",
    "hook_for_connection",
    "split_sql_string",
]
