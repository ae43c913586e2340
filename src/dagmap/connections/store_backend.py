"""``MetadataStoreSecretsBackend``: connections and variables in the metadata database, encrypted at rest.

Passwords, extras and variable values are Fernet-encrypted here (:mod:`dagmap.connections.crypto`) before
:mod:`dagmap.store.queries.secrets` writes them; storing one without a key configured raises. No SQL here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dagmap.connections import crypto
from dagmap.connections.connection import Connection
from dagmap.errors import ConfigurationError
from dagmap.store.db import session_scope
from dagmap.store.orm import ConnectionRow
from dagmap.store.queries import Session
from dagmap.store.queries import secrets as queries


@dataclass(frozen=True, slots=True)
class StoredVariable:
    """A variable as stored: its key, decrypted value and description."""

    key: str
    value: str | None
    description: str | None = None


def _encrypt(value: str | None) -> str | None:
    return crypto.encrypt(value) if value else value


def _decrypt(value: str | None) -> str | None:
    return crypto.decrypt(value) if value else value


def _connection(row: ConnectionRow) -> Connection:
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
            row = queries.get_connection(session, conn_id)
            return None if row is None else _connection(row)

    def get_variable(self, key: str) -> str | None:
        with self._session() as session:
            row = queries.get_variable(session, key)
            return None if row is None else _decrypt(row.val)

    def connection_ids(self) -> list[str]:
        with self._session() as session:
            return queries.connection_ids(session)

    def variable_keys(self) -> list[str]:
        with self._session() as session:
            return queries.variable_keys(session)

    def connection_types(self) -> list[tuple[str, str]]:
        """``(conn_id, conn_type)`` of every stored connection, by id; decrypts nothing (needs no key)."""
        with self._session() as session:
            return [(row.conn_id, row.conn_type) for row in queries.list_connections(session)]

    def list_connections(self) -> list[Connection]:
        """Every stored connection, decrypted, by ``conn_id``."""
        with self._session() as session:
            return [_connection(row) for row in queries.list_connections(session)]

    def list_variables(self) -> list[StoredVariable]:
        """Every stored variable, decrypted, by key."""
        with self._session() as session:
            rows = queries.list_variables(session)
            return [StoredVariable(row.key, _decrypt(row.val), row.description) for row in rows]

    # --- writing ---------------------------------------------------------------------------------------
    def set_connection(self, connection: Connection) -> None:
        """Store ``connection``, replacing one with the same id."""
        self._put_connection(connection, replace=True)

    def add_connection(self, connection: Connection) -> bool:
        """Store ``connection`` unless its id exists already (then ``False``, and nothing changes)."""
        return self._put_connection(connection, replace=False)

    def _put_connection(self, connection: Connection, *, replace: bool) -> bool:
        if not connection.conn_id or not connection.conn_type:
            raise ConfigurationError("A stored connection needs a conn_id and a conn_type")
        password, extra = _encrypt(connection.password), _encrypt(connection.extra)  # may raise: before any SQL
        with self._session() as session:
            return queries.put_connection(
                session,
                conn_id=connection.conn_id,
                conn_type=connection.conn_type,
                description=connection.description,
                host=connection.host,
                schema=connection.schema,
                login=connection.login,
                password=password,
                port=connection.port,
                extra=extra,
                replace=replace,
            )

    def delete_connection(self, conn_id: str) -> bool:
        with self._session() as session:
            return queries.delete_connection(session, conn_id)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        encrypted = crypto.encrypt(value)
        with self._session() as session:
            queries.put_variable(session, key, encrypted, description)

    def delete_variable(self, key: str) -> bool:
        with self._session() as session:
            return queries.delete_variable(session, key)

    def rotate_fernet_keys(self) -> int:
        """Re-encrypt every stored secret with the first configured key; returns the rows rewritten."""
        with self._session() as session:
            return queries.rewrite_secrets(session, crypto.rotate)
