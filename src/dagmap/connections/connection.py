"""``Connection``: how to reach an external system, in Airflow's URI and JSON forms.

Lookup by id goes through the secrets chain (:mod:`dagmap.connections.secrets`); this module does no I/O.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dagmap.connections import uri as uri_codec
from dagmap.errors import ConfigurationError

log = logging.getLogger(__name__)

_JSON_FIELDS = frozenset({"conn_type", "host", "schema", "login", "password", "port", "extra", "description"})


class Connection:
    """A connection's fields; ``extra`` is a JSON string (a dict given here is serialized)."""

    def __init__(
        self,
        conn_id: str | None = None,
        conn_type: str | None = None,
        host: str | None = None,
        schema: str | None = None,
        login: str | None = None,
        password: str | None = None,
        port: int | None = None,
        extra: str | dict[str, Any] | None = None,
        description: str | None = None,
        *,
        uri: str | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.description = description
        if uri is not None:
            if any(field is not None for field in (conn_type, host, schema, login, password, port, extra)):
                raise ConfigurationError("Give a connection either a URI or its fields, not both")
            parts = uri_codec.parse_uri(uri)
            conn_type, host, schema = parts.conn_type, parts.host, parts.schema
            login, password, port, extra = parts.login, parts.password, parts.port, parts.extra
        self.conn_type = uri_codec.normalize_conn_type(conn_type) if conn_type else conn_type
        self.host = host
        self.schema = schema
        self.login = login
        self.password = password
        self.port = port
        self.extra: str | None = json.dumps(extra) if isinstance(extra, dict) else extra

    # --- alternative constructors ----------------------------------------------------------------------
    @classmethod
    def from_uri(cls, conn_id: str, uri: str) -> Connection:
        """``postgresql://user:pass@host:5432/db?sslmode=require`` (every part URL-encoded)."""
        return cls(conn_id=conn_id, uri=uri)

    @classmethod
    def from_json(cls, conn_id: str, value: str) -> Connection:
        """``{"conn_type": "postgres", "host": ..., "extra": {...}}``."""
        try:
            fields = json.loads(value)
        except ValueError as error:
            raise ConfigurationError(f"Connection {conn_id!r} is not valid JSON: {error.args[0]}") from None
        if not isinstance(fields, dict):
            raise ConfigurationError(f"Connection {conn_id!r} in JSON form must be an object")
        unknown = sorted(set(fields) - _JSON_FIELDS)
        if unknown:
            raise ConfigurationError(f"Connection {conn_id!r} has unknown fields {unknown}")
        port = fields.get("port")
        if port is not None and port != "":
            try:
                fields["port"] = int(port)
            except (TypeError, ValueError):
                raise ConfigurationError(f"Connection {conn_id!r} has a port that is not a number") from None
        else:
            fields["port"] = None
        extra = fields.get("extra")
        if extra is not None and not isinstance(extra, str):
            fields["extra"] = json.dumps(extra)
        return cls(conn_id=conn_id, **fields)

    @classmethod
    def from_env_value(cls, conn_id: str, value: str) -> Connection:
        """A value in either form: JSON when it starts with ``{``, a URI otherwise."""
        text = value.strip()
        return cls.from_json(conn_id, text) if text.startswith("{") else cls.from_uri(conn_id, text)

    # --- lookup ----------------------------------------------------------------------------------------
    @classmethod
    def get(cls, conn_id: str) -> Connection:
        """The connection from the first secrets backend that has it; raises ``ConnectionNotFound``."""
        from dagmap.connections.secrets import get_connection

        return get_connection(conn_id)

    @classmethod
    def get_connection_from_secrets(cls, conn_id: str) -> Connection:
        """Airflow's name for :meth:`get`."""
        return cls.get(conn_id)

    # --- forms -----------------------------------------------------------------------------------------
    def get_uri(self) -> str:
        return uri_codec.format_uri(
            conn_type=self.conn_type,
            host=self.host,
            schema=self.schema,
            login=self.login,
            password=self.password,
            port=self.port,
            extra=self.extra,
        )

    def as_json(self) -> str:
        return json.dumps(self.to_dict(include_id=False))

    def to_dict(self, *, include_id: bool = True) -> dict[str, Any]:
        """The fields, ``extra`` decoded; the JSON form of the connection when ``include_id`` is false."""
        fields: dict[str, Any] = {"conn_id": self.conn_id} if include_id else {}
        fields.update(
            conn_type=self.conn_type,
            host=self.host,
            schema=self.schema,
            login=self.login,
            password=self.password,
            port=self.port,
            extra=self.extra_dejson if self.extra else None,
            description=self.description,
        )
        return fields

    @property
    def extra_dejson(self) -> dict[str, Any]:
        """``extra`` decoded; ``{}`` when it is empty or not a JSON object (logged)."""
        if not self.extra:
            return {}
        try:
            decoded = json.loads(self.extra)
        except ValueError:
            log.error("The extra of connection %r is not valid JSON; using {}", self.conn_id)
            return {}
        if not isinstance(decoded, dict):
            log.error("The extra of connection %r is not a JSON object; using {}", self.conn_id)
            return {}
        return decoded

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Connection):
            return NotImplemented
        return self._identity() == other._identity()

    def _identity(self) -> tuple[Any, ...]:
        try:
            extra: Any = json.loads(self.extra) if self.extra else None
        except ValueError:
            extra = self.extra
        if extra == {}:
            extra = None
        fields = (self.conn_type, self.host, self.schema, self.login, self.password, self.port)
        return (self.conn_id, *fields, extra, self.description)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # Never the password: reprs end up in logs and tracebacks.
        password = "***" if self.password else None
        return (
            f"Connection(conn_id={self.conn_id!r}, conn_type={self.conn_type!r}, host={self.host!r}, "
            f"schema={self.schema!r}, login={self.login!r}, password={password!r}, port={self.port!r})"
        )
