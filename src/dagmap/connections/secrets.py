"""Secrets backends and the ordered chain (environment, then metadata database) that lookups walk.

Everything fetched through :func:`get_connection` / :func:`get_variable` is registered for masking.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from dagmap.connections.connection import Connection
from dagmap.connections.masking import mask_connection, mask_variable
from dagmap.errors import ConfigurationError, ConnectionNotFound, VariableNotFound

CONN_ENV_PREFIXES = ("DAGMAP_CONN_", "AIRFLOW_CONN_")
VAR_ENV_PREFIXES = ("DAGMAP_VAR_", "AIRFLOW_VAR_")


@runtime_checkable
class SecretsBackend(Protocol):
    """Where connections and variables may be found; ``None`` means "not here, ask the next one"."""

    def get_connection(self, conn_id: str) -> Connection | None: ...

    def get_variable(self, key: str) -> str | None: ...


@runtime_checkable
class WritableSecretsBackend(SecretsBackend, Protocol):
    """A backend that also stores: the metadata database, or memory in tests."""

    def set_connection(self, connection: Connection) -> None: ...

    def delete_connection(self, conn_id: str) -> bool: ...

    def set_variable(self, key: str, value: str, description: str | None = None) -> None: ...

    def delete_variable(self, key: str) -> bool: ...


class EnvironmentSecretsBackend:
    """``DAGMAP_CONN_<ID>`` (URI or JSON) and ``DAGMAP_VAR_<KEY>``; ``AIRFLOW_`` prefixes are read too."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def _lookup(self, prefixes: Sequence[str], name: str) -> str | None:
        environ = os.environ if self._environ is None else self._environ
        for prefix in prefixes:
            value = environ.get(prefix + name.upper())
            if value is not None:
                return value
        return None

    def get_connection(self, conn_id: str) -> Connection | None:
        value = self._lookup(CONN_ENV_PREFIXES, conn_id)
        return Connection.from_env_value(conn_id, value) if value is not None else None

    def get_variable(self, key: str) -> str | None:
        return self._lookup(VAR_ENV_PREFIXES, key)


class InMemorySecretsBackend:
    """A writable backend in a dict: tests, and ``dags test`` runs without a database."""

    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}
        self.variables: dict[str, str] = {}

    def get_connection(self, conn_id: str) -> Connection | None:
        return self.connections.get(conn_id)

    def get_variable(self, key: str) -> str | None:
        return self.variables.get(key)

    def set_connection(self, connection: Connection) -> None:
        if not connection.conn_id:
            raise ConfigurationError("A stored connection needs a conn_id")
        self.connections[connection.conn_id] = connection

    def delete_connection(self, conn_id: str) -> bool:
        return self.connections.pop(conn_id, None) is not None

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.variables[key] = value

    def delete_variable(self, key: str) -> bool:
        return self.variables.pop(key, None) is not None


_configured: list[SecretsBackend] | None = None


def secrets_backends() -> list[SecretsBackend]:
    """The chain in lookup order: environment variables, then the metadata database (unless overridden)."""
    if _configured is not None:
        return list(_configured)
    from dagmap.connections.store_backend import MetadataStoreSecretsBackend  # SQLAlchemy only when used

    return [EnvironmentSecretsBackend(), MetadataStoreSecretsBackend()]


def set_secrets_backends(backends: Sequence[SecretsBackend] | None) -> None:
    """Replace the chain for this process (``None`` restores the default); tests and embedded runs."""
    global _configured
    _configured = list(backends) if backends is not None else None


def writable_backend() -> WritableSecretsBackend:
    """The last backend of the chain that can store: where ``Variable.set`` writes."""
    for backend in reversed(secrets_backends()):
        if isinstance(backend, WritableSecretsBackend):
            return backend
    raise ConfigurationError("No secrets backend in the chain can store connections or variables")


def get_connection(conn_id: str) -> Connection:
    """The first backend's answer, with its secret parts registered for masking."""
    for backend in secrets_backends():
        connection = backend.get_connection(conn_id)
        if connection is not None:
            mask_connection(connection)
            return connection
    raise ConnectionNotFound(f"The connection {conn_id!r} is not defined", conn_id=conn_id)


def get_variable(key: str) -> str:
    """The first backend's value, registered for masking when the key names a secret."""
    for backend in secrets_backends():
        value = backend.get_variable(key)
        if value is not None:
            mask_variable(key, value)
            return value
    raise VariableNotFound(f"The variable {key!r} is not defined", key=key)
