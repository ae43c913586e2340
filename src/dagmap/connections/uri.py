"""Pure parsing and formatting of connection URIs (``conn-type://login:password@host:port/schema?extra``).

No I/O here: :mod:`dagmap.connections.connection` turns the parts into a :class:`Connection`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from dagmap.errors import ConfigurationError

EXTRA_KEY = "__extra__"
"""Query parameter that carries the whole ``extra`` as JSON when it is not a flat string mapping."""

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@dataclass(frozen=True)
class UriParts:
    conn_type: str
    host: str | None
    schema: str | None
    login: str | None
    password: str | None
    port: int | None
    extra: str | None


def normalize_conn_type(conn_type: str) -> str:
    """``google-cloud`` -> ``google_cloud``; ``postgresql`` -> ``postgres`` (the name Airflow stores)."""
    normalized = conn_type.lower().replace("-", "_")
    return "postgres" if normalized == "postgresql" else normalized


def parse_uri(uri: str) -> UriParts:
    """Split a connection URI into its parts, undoing the URL-encoding of each one."""
    match = _SCHEME.match(uri)
    if match is None:
        raise ConfigurationError(f"A connection URI must start with '<conn-type>://': {_shorten(uri)!r}")
    conn_type = normalize_conn_type(match.group(0)[:-3])
    rest = uri[match.end() :]
    # ``http://https://host`` keeps the inner protocol as part of the host, as Airflow does.
    protocol = ""
    inner = _SCHEME.match(rest)
    if inner is not None:
        protocol, rest = inner.group(0), rest[inner.end() :]
    try:
        parts = urlsplit("x://" + rest)
    except ValueError as error:
        raise ConfigurationError(f"Invalid connection URI {_shorten(uri)!r}: {error}") from None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    raw_login, _, raw_password = userinfo.partition(":")
    host, port = _split_host_port(hostport, uri)
    schema = unquote(parts.path[1:]) if parts.path else ""
    return UriParts(
        conn_type=conn_type,
        host=(protocol + host) if host else (protocol or None),
        schema=schema or None,
        login=unquote(raw_login) or None,
        password=unquote(raw_password) or None,
        port=port,
        extra=_parse_query(parts.query, uri),
    )


def format_uri(
    *,
    conn_type: str | None,
    host: str | None,
    schema: str | None,
    login: str | None,
    password: str | None,
    port: int | None,
    extra: str | None,
) -> str:
    """The inverse of :func:`parse_uri`: every part is URL-encoded so that any character survives."""
    uri = f"{(conn_type or '').lower().replace('_', '-')}://"
    if host and _SCHEME.match(host):
        protocol, _, host = host.partition("://")
        uri += f"{protocol}://"
    if login or password:
        uri += quote(login or "", safe="")
        if password:
            uri += ":" + quote(password, safe="")
        uri += "@"
    if host:
        uri += quote(host, safe="")
    if port is not None:
        uri += f":{port}"
    query = _format_query(extra) if extra else ""
    if schema or query:
        uri += "/" + quote(schema or "", safe="")
    if query:
        uri += "?" + query
    return uri


def _split_host_port(hostport: str, uri: str) -> tuple[str, int | None]:
    if hostport.startswith("["):  # a literal IPv6 address: [::1]:5432
        end = hostport.find("]")
        host, port_text = hostport[1:end], hostport[end + 1 :].removeprefix(":")
    else:
        head, colon, tail = hostport.rpartition(":")
        host, port_text = (head, tail) if colon else (hostport, "")
    if not port_text:
        return unquote(host), None
    if not port_text.isdigit():
        raise ConfigurationError(f"The port of a connection URI must be a number: {_shorten(uri)!r}")
    return unquote(host), int(port_text)


def _parse_query(query: str, uri: str) -> str | None:
    if not query:
        return None
    pairs = dict(parse_qsl(query, keep_blank_values=True))
    if EXTRA_KEY not in pairs:
        return json.dumps(pairs)
    if len(pairs) > 1:
        raise ConfigurationError(
            f"A connection URI with {EXTRA_KEY} must not have other query parameters: {_shorten(uri)!r}"
        )
    return pairs[EXTRA_KEY]


def _format_query(extra: str) -> str:
    """Flat string extras as ``?key=value``, anything else as ``?__extra__=<json>``; ``{}`` as nothing."""
    try:
        decoded: Any = json.loads(extra)
    except ValueError:
        decoded = None
    if decoded == {}:
        return ""
    if isinstance(decoded, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in decoded.items()):
        query = urlencode(decoded)
        if dict(parse_qsl(query, keep_blank_values=True)) == decoded:
            return query
    return urlencode({EXTRA_KEY: extra})


def _shorten(uri: str) -> str:
    """The URI without its password, so that errors never show a secret."""
    match = re.match(r"^([^:]*://[^:/@]*:)[^@]*(@.*)$", uri)
    return f"{match.group(1)}***{match.group(2)}" if match else uri
