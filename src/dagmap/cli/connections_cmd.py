"""``dagmap connections add|get|delete|list``: connections in the metadata database (wiring only).

Secrets (passwords, sensitive extra fields) are shown as ``***`` unless ``--show-secrets`` is given.
"""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from dagmap.connections.connection import Connection
from dagmap.connections.masking import REDACTED, SecretsMasker
from dagmap.errors import DagmapError

if TYPE_CHECKING:
    from dagmap.connections.store_backend import MetadataStoreSecretsBackend

connections_app = typer.Typer(no_args_is_help=True, help="Connections stored in the metadata database.")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")
"""Letters, digits, ``_ . -``, at most 250 characters (the width of the ``conn_id`` column)."""

_PLACEHOLDER = "__dagmap_hidden_password__"

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ShowSecrets = Annotated[bool, typer.Option("--show-secrets", help="Show secrets (passwords, secret fields) in clear.")]


def fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", markup=True)
    raise typer.Exit(1)


def store() -> MetadataStoreSecretsBackend:
    """The metadata-database backend, its schema migrated first (a fresh DAGMAP_HOME has no tables)."""
    from dagmap.connections.store_backend import MetadataStoreSecretsBackend
    from dagmap.store import db

    db.migrate()
    return MetadataStoreSecretsBackend()


def display(connection: Connection, *, show_secrets: bool) -> dict[str, Any]:
    """The connection's fields for output, with ``uri``; secrets hidden unless ``show_secrets``."""
    fields = connection.to_dict()
    fields["uri"] = connection.get_uri()
    if show_secrets:
        return fields
    extra = SecretsMasker().redact(connection.extra_dejson) if connection.extra else None
    hidden = Connection(
        connection.conn_id,
        connection.conn_type,
        connection.host,
        connection.schema,
        connection.login,
        _PLACEHOLDER if connection.password else None,
        connection.port,
        extra if extra else connection.extra,
    )
    fields.update(password=REDACTED if connection.password else None, extra=extra)
    fields["uri"] = hidden.get_uri().replace(_PLACEHOLDER, REDACTED)
    return fields


def _print_fields(fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        text = json.dumps(value) if isinstance(value, dict) else ("" if value is None else str(value))
        out.print(f"{name}: {text}", markup=False)


def _parse_extra(conn_id: str, extra: str) -> dict[str, Any]:
    try:
        decoded = json.loads(extra)
    except ValueError as error:
        fail(f"--conn-extra of connection {conn_id!r} is not valid JSON: {error}")
    if not isinstance(decoded, dict):
        fail(f"--conn-extra of connection {conn_id!r} must be a JSON object")
    return decoded


def build_connection(
    conn_id: str,
    *,
    uri: str | None,
    as_json: str | None,
    fields: dict[str, Any],
    extra: str | None,
    description: str | None,
) -> Connection:
    """The connection an ``add`` describes, checking the option combinations as Airflow does."""
    if not CONN_ID.match(conn_id):
        fail(f"invalid conn_id {conn_id!r}: use letters, digits, '_', '.' and '-' (at most 250 characters)")
    given = sorted(f"--conn-{name.replace('_', '-')}" for name, value in fields.items() if value is not None)
    if uri is not None and as_json is not None:
        fail(f"connection {conn_id!r}: give --conn-uri or --conn-json, not both")
    if uri is None and as_json is None and fields["type"] is None:
        fail(f"connection {conn_id!r}: give --conn-uri, --conn-json or --conn-type")
    if (uri is not None or as_json is not None) and given:
        form = "--conn-uri" if uri is not None else "--conn-json"
        fail(f"connection {conn_id!r}: {', '.join(given)} cannot be combined with {form}")
    if as_json is not None and extra is not None:
        fail(f"connection {conn_id!r}: --conn-extra cannot be combined with --conn-json (put it in the JSON)")
    decoded_extra = _parse_extra(conn_id, extra) if extra is not None else None
    try:
        if uri is not None:
            connection = Connection.from_uri(conn_id, uri)
        elif as_json is not None:
            connection = Connection.from_json(conn_id, as_json)
        else:
            connection = Connection(
                conn_id,
                fields["type"],
                fields["host"],
                fields["schema"],
                fields["login"],
                fields["password"],
                fields["port"],
            )
    except DagmapError as error:
        fail(f"connection {conn_id!r}: {error}")
    if not connection.conn_type:
        fail(f"connection {conn_id!r} has no type (the URI scheme, or conn_type in JSON)")
    if decoded_extra is not None:
        connection.extra = json.dumps(decoded_extra)
    if description is not None:
        connection.description = description
    return connection


@connections_app.command("add")
def add(
    conn_id: Annotated[str, typer.Argument(help="The connection id.")],
    conn_uri: Annotated[str | None, typer.Option("--conn-uri", help="The whole connection as a URI.")] = None,
    conn_json: Annotated[str | None, typer.Option("--conn-json", help="The whole connection as JSON.")] = None,
    conn_type: Annotated[str | None, typer.Option("--conn-type", help="Type (postgres, aws, http, ...).")] = None,
    conn_host: Annotated[str | None, typer.Option("--conn-host")] = None,
    conn_login: Annotated[str | None, typer.Option("--conn-login")] = None,
    conn_password: Annotated[str | None, typer.Option("--conn-password")] = None,
    conn_port: Annotated[int | None, typer.Option("--conn-port")] = None,
    conn_schema: Annotated[str | None, typer.Option("--conn-schema")] = None,
    conn_extra: Annotated[str | None, typer.Option("--conn-extra", help="Extra fields, a JSON object.")] = None,
    conn_description: Annotated[str | None, typer.Option("--conn-description")] = None,
) -> None:
    """Store a new connection; an existing id is an error (delete it first)."""
    fields = {
        "type": conn_type,
        "host": conn_host,
        "login": conn_login,
        "password": conn_password,
        "port": conn_port,
        "schema": conn_schema,
    }
    connection = build_connection(
        conn_id, uri=conn_uri, as_json=conn_json, fields=fields, extra=conn_extra, description=conn_description
    )
    _warn_if_shadowed(conn_id)
    try:
        added = store().add_connection(connection)
    except DagmapError as error:
        fail(f"connection {conn_id!r} not stored: {error}")
    if not added:
        fail(f"a connection with conn_id {conn_id!r} already exists")
    out.print(f"Added connection {conn_id!r} ({connection.conn_type})", markup=False)


def _warn_if_shadowed(conn_id: str) -> None:
    from dagmap.connections.secrets import EnvironmentSecretsBackend

    if EnvironmentSecretsBackend().get_connection(conn_id) is not None:
        err.print(
            f"warning: the environment also defines connection {conn_id!r} (DAGMAP_CONN_/AIRFLOW_CONN_); "
            "it is read first, so tasks will not see the stored one",
            markup=False,
        )


@connections_app.command("get")
def get(
    conn_id: Annotated[str, typer.Argument(help="The connection id.")],
    as_json: JsonOption = False,
    show_secrets: ShowSecrets = False,
) -> None:
    """Show a connection as tasks see it: from the environment, else the metadata database."""
    from dagmap.connections.secrets import get_connection

    store()  # migrated, so that a fresh home answers "not found" rather than "no such table"
    try:
        connection = get_connection(conn_id)
    except DagmapError as error:
        fail(str(error))
    fields = display(connection, show_secrets=show_secrets)
    if as_json:
        sys.stdout.write(json.dumps(fields) + "\n")
    else:
        _print_fields(fields)


@connections_app.command("delete")
def delete(conn_id: Annotated[str, typer.Argument(help="The connection id.")]) -> None:
    """Delete a stored connection."""
    if not store().delete_connection(conn_id):
        fail(f"no stored connection with conn_id {conn_id!r}")
    out.print(f"Deleted connection {conn_id!r}", markup=False)


@connections_app.command("list")
def list_(
    as_json: JsonOption = False,
    show_values: Annotated[bool, typer.Option("--show-values", help="Every field, not only id and type.")] = False,
    show_secrets: ShowSecrets = False,
) -> None:
    """The stored connections: ids and types, or every field with ``--show-values``."""
    if show_secrets and not show_values:
        fail("--show-secrets needs --show-values")
    try:
        if show_values:
            rows = [display(c, show_secrets=show_secrets) for c in store().list_connections()]
        else:
            rows = [{"conn_id": conn_id, "conn_type": conn_type} for conn_id, conn_type in store().connection_types()]
    except DagmapError as error:
        fail(str(error))
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    from rich.table import Table

    columns = list(rows[0]) if rows else ["conn_id", "conn_type"]
    table = Table(*columns)
    for row in rows:
        table.add_row(*(json.dumps(v) if isinstance(v, dict) else ("" if v is None else str(v)) for v in row.values()))
    out.print(table)
