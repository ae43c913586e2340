"""The ``connection`` and ``variable`` tables. Secret columns arrive here already encrypted and leave
encrypted: encryption belongs to :mod:`dagmap.connections`, SQL to this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dagmap.store.orm import ConnectionRow, VariableRow

_CONFLICT_DIALECTS = ("postgresql", "sqlite")
"""Dialects with ``INSERT ... ON CONFLICT``: one statement, so concurrent writers cannot collide."""


def _insert(session: Session, row_class: type[Any], key_column: str, values: dict[str, Any], *, replace: bool) -> bool:
    """Insert by a unique column; on conflict update (``replace``) or leave the row. ``True`` if written."""
    dialect = session.get_bind().dialect.name
    if dialect not in _CONFLICT_DIALECTS:
        key = getattr(row_class, key_column)
        existing = session.scalars(select(row_class).where(key == values[key_column])).one_or_none()
        if existing is None:
            session.add(row_class(**values))
            session.flush()
            return True
        if not replace:
            return False
        for name, value in values.items():
            setattr(existing, name, value)
        session.flush()
        return True
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(row_class).values(**values)
    if replace:
        updates = {name: statement.excluded[name] for name in values if name != key_column}
        session.execute(statement.on_conflict_do_update(index_elements=[key_column], set_=updates))
        return True
    ignoring = statement.on_conflict_do_nothing(index_elements=[key_column])
    # RETURNING, not rowcount: drivers disagree on rowcount after ON CONFLICT DO NOTHING.
    return session.execute(ignoring.returning(getattr(row_class, key_column))).first() is not None


# --- connections -----------------------------------------------------------------------------------------


def get_connection(session: Session, conn_id: str) -> ConnectionRow | None:
    return session.scalars(select(ConnectionRow).where(ConnectionRow.conn_id == conn_id)).one_or_none()


def list_connections(session: Session) -> list[ConnectionRow]:
    return list(session.scalars(select(ConnectionRow).order_by(ConnectionRow.conn_id)))


def connection_ids(session: Session) -> list[str]:
    return list(session.scalars(select(ConnectionRow.conn_id).order_by(ConnectionRow.conn_id)))


def put_connection(
    session: Session,
    *,
    conn_id: str,
    conn_type: str,
    description: str | None = None,
    host: str | None = None,
    schema: str | None = None,
    login: str | None = None,
    password: str | None = None,
    port: int | None = None,
    extra: str | None = None,
    replace: bool = True,
) -> bool:
    """Store a connection (``password`` and ``extra`` encrypted by the caller). With ``replace=False`` an
    existing ``conn_id`` is left as it is and ``False`` returned."""
    values = {
        "conn_id": conn_id,
        "conn_type": conn_type,
        "description": description,
        "host": host,
        "schema": schema,
        "login": login,
        "password": password,
        "port": port,
        "extra": extra,
    }
    return _insert(session, ConnectionRow, "conn_id", values, replace=replace)


def delete_connection(session: Session, conn_id: str) -> bool:
    result = session.execute(delete(ConnectionRow).where(ConnectionRow.conn_id == conn_id))
    return bool(getattr(result, "rowcount", 0))


# --- variables -------------------------------------------------------------------------------------------


def get_variable(session: Session, key: str) -> VariableRow | None:
    return session.scalars(select(VariableRow).where(VariableRow.key == key)).one_or_none()


def list_variables(session: Session) -> list[VariableRow]:
    return list(session.scalars(select(VariableRow).order_by(VariableRow.key)))


def variable_keys(session: Session) -> list[str]:
    return list(session.scalars(select(VariableRow.key).order_by(VariableRow.key)))


def put_variable(session: Session, key: str, val: str | None, description: str | None = None) -> None:
    """Store a variable (``val`` encrypted by the caller), replacing one with the same key."""
    _insert(session, VariableRow, "key", {"key": key, "val": val, "description": description}, replace=True)


def delete_variable(session: Session, key: str) -> bool:
    result = session.execute(delete(VariableRow).where(VariableRow.key == key))
    return bool(getattr(result, "rowcount", 0))


# --- both ------------------------------------------------------------------------------------------------


def rewrite_secrets(session: Session, rewrite: Callable[[str], str]) -> int:
    """Apply ``rewrite`` to every non-empty secret column (key rotation); returns the rows visited."""
    rows = 0
    for connection in session.scalars(select(ConnectionRow)):
        connection.password = rewrite(connection.password) if connection.password else connection.password
        connection.extra = rewrite(connection.extra) if connection.extra else connection.extra
        rows += 1
    for variable in session.scalars(select(VariableRow)):
        variable.val = rewrite(variable.val) if variable.val else variable.val
        rows += 1
    session.flush()
    return rows
