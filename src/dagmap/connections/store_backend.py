"""``MetadataStoreSecretsBackend``: connections and variables in the metadata database, encrypted at rest.

The only module of dagmap.connections that touches SQLAlchemy. Passwords, extras and variable values are
Fernet-encrypted (:mod:`dagmap.connections.crypto`); storing one without a key configured raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dagmap.connections import crypto
from dagmap.connections.connection import Connection
from dagmap.errors import ConfigurationError
from dagmap.store.db import session_scope
from dagmap.store.orm import ConnectionRow, VariableRow


def _encrypt(value: str | None) -> str | None:
    return crypto.encrypt(value) if value else value


def _decrypt(value: str | None) -> str | None:
    return crypto.decrypt(value) if value else value


def _upsert(session: Session, row_class: type[Any], key_column: str, values: dict[str, Any]) -> None:
    """Insert or update by a unique column in one statement, so concurrent writers cannot collide."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        existing = session.scalars(
            select(row_class).where(getattr(row_class, key_column) == values[key_column])
        ).one_or_none()
        if existing is None:
            session.add(row_class(**values))
        else:
            for name, value in values.items():
                setattr(existing, name, value)
        return
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(row_class).values(**values)
    updates = {name: statement.excluded[name] for name in values if name != key_column}
    session.execute(statement.on_conflict_do_update(index_elements=[key_column], set_=updates))


class MetadataStoreSecretsBackend:
    """Reads and writes the ``connection`` and ``variable`` tables of the metadata database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        """SQLAlchemy URL of the metadata database; ``None`` means the configured one."""

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with session_scope(self.url) as session:
            yield session

    # --- reading ---------------------------------------------------------------------------------------
    def get_connection(self, conn_id: str) -> Connection | None:
        with self._session() as session:
            row = session.scalars(select(ConnectionRow).where(ConnectionRow.conn_id == conn_id)).one_or_none()
            if row is None:
                return None
            return Connection(
                conn_id=row.conn_id,
                conn_type=row.conn_type,
                host=row.host,
                schema=row.schema,
                login=row.login,
                password=_decrypt(row.password),
                port=row.port,
                extra=_decrypt(row.extra),
                description=row.description,
            )

    def get_variable(self, key: str) -> str | None:
        with self._session() as session:
            row = session.scalars(select(VariableRow).where(VariableRow.key == key)).one_or_none()
            return None if row is None else _decrypt(row.val)

    def connection_ids(self) -> list[str]:
        with self._session() as session:
            return list(session.scalars(select(ConnectionRow.conn_id).order_by(ConnectionRow.conn_id)))

    def variable_keys(self) -> list[str]:
        with self._session() as session:
            return list(session.scalars(select(VariableRow.key).order_by(VariableRow.key)))

    # --- writing ---------------------------------------------------------------------------------------
    def set_connection(self, connection: Connection) -> None:
        if not connection.conn_id or not connection.conn_type:
            raise ConfigurationError("A stored connection needs a conn_id and a conn_type")
        values = {
            "conn_id": connection.conn_id,
            "conn_type": connection.conn_type,
            "description": connection.description,
            "host": connection.host,
            "schema": connection.schema,
            "login": connection.login,
            "password": _encrypt(connection.password),
            "port": connection.port,
            "extra": _encrypt(connection.extra),
        }
        with self._session() as session:
            _upsert(session, ConnectionRow, "conn_id", values)

    def delete_connection(self, conn_id: str) -> bool:
        with self._session() as session:
            result = session.execute(delete(ConnectionRow).where(ConnectionRow.conn_id == conn_id))
            return bool(getattr(result, "rowcount", 0))

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        values = {"key": key, "val": crypto.encrypt(value), "description": description}
        with self._session() as session:
            _upsert(session, VariableRow, "key", values)

    def delete_variable(self, key: str) -> bool:
        with self._session() as session:
            result = session.execute(delete(VariableRow).where(VariableRow.key == key))
            return bool(getattr(result, "rowcount", 0))

    def rotate_fernet_keys(self) -> int:
        """Re-encrypt every stored secret with the first configured key; returns the rows rewritten."""
        rewritten = 0
        with self._session() as session:
            for connection_row in session.scalars(select(ConnectionRow)):
                connection_row.password = crypto.rotate(connection_row.password) if connection_row.password else None
                connection_row.extra = crypto.rotate(connection_row.extra) if connection_row.extra else None
                rewritten += 1
            for variable_row in session.scalars(select(VariableRow)):
                variable_row.val = crypto.rotate(variable_row.val) if variable_row.val else variable_row.val
                rewritten += 1
        return rewritten
