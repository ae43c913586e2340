"""The connection and variable tables on SQLite and PostgreSQL: upserts, insert-if-absent, deletes, rewrites."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from dagmap.store.queries import secrets


def test_connections_put_replace_or_keep_and_delete(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert secrets.put_connection(session, conn_id="c", conn_type="http", host="one") is True
        assert secrets.put_connection(session, conn_id="c", conn_type="http", host="two", password="enc") is True
        assert secrets.put_connection(session, conn_id="c", conn_type="ftp", host="three", replace=False) is False
        assert secrets.put_connection(session, conn_id="a", conn_type="postgres", port=5432, replace=False) is True
    with sessions.begin() as session:
        row = secrets.get_connection(session, "c")
        assert row is not None
        assert (row.conn_type, row.host, row.password) == ("http", "two", "enc")
        assert secrets.connection_ids(session) == ["a", "c"]
        assert [(r.conn_id, r.port) for r in secrets.list_connections(session)] == [("a", 5432), ("c", None)]
        assert secrets.delete_connection(session, "c") is True
        assert secrets.delete_connection(session, "c") is False
        assert secrets.get_connection(session, "c") is None


def test_variables_put_replaces_and_delete_reports(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        secrets.put_variable(session, "k", "v1", "first")
        secrets.put_variable(session, "k", "v2")
        secrets.put_variable(session, "a", None)
    with sessions.begin() as session:
        row = secrets.get_variable(session, "k")
        assert row is not None and (row.val, row.description) == ("v2", None)
        assert secrets.variable_keys(session) == ["a", "k"]
        assert [r.key for r in secrets.list_variables(session)] == ["a", "k"]
        assert secrets.delete_variable(session, "k") is True
        assert secrets.delete_variable(session, "k") is False


def test_rewrite_secrets_touches_only_non_empty_secret_columns(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        secrets.put_connection(session, conn_id="c", conn_type="http", login="user", password="p", extra=None)
        secrets.put_variable(session, "v", "x")
        secrets.put_variable(session, "empty", "")
        assert secrets.rewrite_secrets(session, lambda token: token.upper() + "!") == 3
    with sessions.begin() as session:
        row = secrets.get_connection(session, "c")
        assert row is not None and (row.login, row.password, row.extra) == ("user", "P!", None)
        assert [(r.key, r.val) for r in secrets.list_variables(session)] == [("empty", ""), ("v", "X!")]
