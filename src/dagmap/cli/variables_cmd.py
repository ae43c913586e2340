"""``dagmap variables set|get|delete|list``: variables in the metadata database (wiring only).

``list --show-values`` hides values under sensitive keys (and sensitive fields of JSON objects) unless
``--show-secrets``; ``get`` prints the value asked for as it is.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from dagmap.cli.connections_cmd import JsonOption, ShowSecrets, err, fail, out, store
from dagmap.connections.masking import REDACTED, SecretsMasker
from dagmap.errors import DagmapError, VariableNotFound

variables_app = typer.Typer(no_args_is_help=True, help="Variables stored in the metadata database.")


def hide_secrets(key: str, value: str | None) -> str | None:
    """``***`` for a sensitive key; a JSON object keeps its keys with the sensitive fields hidden."""
    masker = SecretsMasker()
    if value is None:
        return None
    if masker.is_sensitive_name(key):
        return REDACTED
    if value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        redacted = masker.redact(decoded)
        return value if redacted == decoded else json.dumps(redacted)
    return value


@variables_app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="The variable's key.")],
    value: Annotated[str, typer.Argument(help="Its value (JSON text with --json).")],
    as_json: Annotated[bool, typer.Option("--json", help="VALUE is JSON: check it and store it as JSON.")] = False,
    description: Annotated[str | None, typer.Option("--description", help="What the variable is for.")] = None,
) -> None:
    """Create a variable or replace its value."""
    text = value
    if as_json:
        try:
            text = json.dumps(json.loads(value), indent=2)
        except ValueError as error:
            fail(f"the value of variable {key!r} is not valid JSON: {error}")
    from dagmap.connections.secrets import EnvironmentSecretsBackend

    if EnvironmentSecretsBackend().get_variable(key) is not None:
        err.print(
            f"warning: the environment also defines variable {key!r} (DAGMAP_VAR_/AIRFLOW_VAR_); "
            "it is read first, so tasks will not see the stored value",
            markup=False,
        )
    try:
        store().set_variable(key, text, description)
    except DagmapError as error:
        fail(f"variable {key!r} not stored: {error}")
    out.print(f"Variable {key!r} set", markup=False)


@variables_app.command("get")
def get(
    key: Annotated[str, typer.Argument(help="The variable's key.")],
    as_json: Annotated[bool, typer.Option("--json", help="Decode the value as JSON and print it as JSON.")] = False,
    default: Annotated[str | None, typer.Option("--default", help="Print this if there is no such variable.")] = None,
) -> None:
    """Print a variable as tasks see it: from the environment, else the metadata database."""
    from dagmap.connections.variable import Variable

    store()  # migrated, so that a fresh home answers "not found" rather than "no such table"
    try:
        value: Any = Variable.get(key)
    except VariableNotFound:
        if default is None:
            fail(f"variable {key!r} does not exist")
        sys.stdout.write(default + "\n")
        return
    except DagmapError as error:
        fail(f"variable {key!r}: {error}")
    if as_json:
        try:
            value = json.dumps(json.loads(value))
        except ValueError:
            fail(f"variable {key!r} does not hold JSON")
    sys.stdout.write(f"{value}\n")


@variables_app.command("delete")
def delete(key: Annotated[str, typer.Argument(help="The variable's key.")]) -> None:
    """Delete a stored variable."""
    if not store().delete_variable(key):
        fail(f"no stored variable with key {key!r}")
    out.print(f"Deleted variable {key!r}", markup=False)


@variables_app.command("list")
def list_(
    as_json: JsonOption = False,
    show_values: Annotated[bool, typer.Option("--show-values", help="Show the values too.")] = False,
    show_secrets: ShowSecrets = False,
) -> None:
    """The stored variables' keys; values and descriptions too with ``--show-values``."""
    if show_secrets and not show_values:
        fail("--show-secrets needs --show-values")
    try:
        if show_values:
            rows = [
                {
                    "key": variable.key,
                    "value": variable.value if show_secrets else hide_secrets(variable.key, variable.value),
                    "description": variable.description,
                }
                for variable in store().list_variables()
            ]
        else:
            rows = [{"key": key} for key in store().variable_keys()]  # decrypts nothing: needs no key
    except DagmapError as error:
        fail(str(error))
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    from rich.table import Table

    table = Table(*(rows[0] if rows else ["key"]))
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    out.print(table)
