"""Connections, variables, secrets backends, encryption at rest and secret masking.

Importing this package does not import SQLAlchemy: the metadata-database backend loads on first lookup.
"""

from dagmap.connections.connection import Connection
from dagmap.connections.masking import SecretsMaskingFilter, mask_secret, redact
from dagmap.connections.secrets import (
    EnvironmentSecretsBackend,
    InMemorySecretsBackend,
    SecretsBackend,
    WritableSecretsBackend,
    secrets_backends,
    set_secrets_backends,
)
from dagmap.connections.variable import Variable

__all__ = [
    "Connection",
    "EnvironmentSecretsBackend",
    "InMemorySecretsBackend",
    "SecretsBackend",
    "SecretsMaskingFilter",
    "Variable",
    "WritableSecretsBackend",
    "mask_secret",
    "redact",
    "secrets_backends",
    "set_secrets_backends",
]
