from __future__ import annotations

import pytest

from dagmap.connections import Connection
from dagmap.errors import ConfigurationError
from dagmap.providers.sql import SqlHook, split_sql_string
from dagmap.providers.sql.urls import connect_args_for, is_memory_url, sqlalchemy_url_for


def test_postgres_url_encodes_credentials_and_uses_psycopg() -> None:
    conn = Connection("c", "postgresql", "db.local", "analytics", "us@er", "p:w/d@#", 5433, {"sslmode": "require"})
    url = sqlalchemy_url_for(conn)
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "us@er",
        "p:w/d@#",
        "db.local",
        5433,
        "analytics",
    )
    assert "p%3Aw%2Fd%40%23" in url.render_as_string(hide_password=False)
    assert connect_args_for(conn) == {"sslmode": "require"}


def test_file_databases_take_host_then_schema_else_memory() -> None:
    assert sqlalchemy_url_for(Connection("c", "sqlite", host="/data/a.db")).database == "/data/a.db"
    assert sqlalchemy_url_for(Connection("c", "sqlite", schema="/data/b.db")).database == "/data/b.db"
    memory = sqlalchemy_url_for(Connection("c", "sqlite"))
    assert str(memory) == "sqlite://" and is_memory_url(memory)
    duck = sqlalchemy_url_for(Connection("c", "duckdb", host="/data/c.duckdb"))
    assert str(duck) == "duckdb:////data/c.duckdb" and not is_memory_url(duck)
    assert is_memory_url(sqlalchemy_url_for(Connection("c", "duckdb")))
    assert connect_args_for(Connection("c", "duckdb", extra={"x": "y"})) == {}


def test_scheme_override_and_unsupported_types() -> None:
    conn = Connection("c", "postgres", "h", extra={"sqlalchemy_scheme": "postgresql+psycopg2"})
    assert sqlalchemy_url_for(conn).drivername == "postgresql+psycopg2"
    assert connect_args_for(conn) == {}
    with pytest.raises(ConfigurationError, match="'ftp'"):
        sqlalchemy_url_for(Connection("c", "ftp", "h"))


def test_hook_needs_somewhere_to_connect() -> None:
    with pytest.raises(ConfigurationError):
        SqlHook()
    hook = SqlHook(sqlalchemy_url="sqlite://", schema=None)
    assert hook.get_first("SELECT 1 + 1") == (2,)  # an in-memory database keeps its connection
    hook.dispose()


def test_schema_argument_replaces_the_database() -> None:
    assert SqlHook(sqlalchemy_url="postgresql+psycopg://u@h/one", schema="two").sqlalchemy_url.database == "two"


def test_split_sql_respects_quotes_comments_and_dollar_bodies() -> None:
    script = """
        -- leading comment; with a semicolon
        INSERT INTO t VALUES ('a;b');
        /* block; comment */
        CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
        SELECT 1
    """
    statements = split_sql_string(script)
    assert len(statements) == 3
    assert statements[0] == "INSERT INTO t VALUES ('a;b');"
    assert "SELECT 1; $$" in statements[1]
    assert statements[2] == "SELECT 1"
    assert split_sql_string("-- only a comment\n") == []
