"""``dagmap connections add|get|delete|list`` against a SQLite metadata database in a temporary DAGMAP_HOME."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dagmap.cli.main import app
from dagmap.config import reset_settings
from dagmap.connections import crypto
from dagmap.connections.masking import get_masker
from dagmap.store.db import dispose_engines

PG_URI = "postgresql://etl:p%40ss%3Aword@db.internal:5432/analytics?sslmode=require"


@pytest.fixture(autouse=True)
def _fresh_state(dagmap_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("DAGMAP_CONN_", "AIRFLOW_CONN_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("DAGMAP__CORE__FERNET_KEY", raising=False)
    reset_settings()
    yield
    dispose_engines()
    get_masker().clear()


@pytest.fixture
def fernet_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = crypto.generate_fernet_key()
    monkeypatch.setenv("DAGMAP__CORE__FERNET_KEY", key)
    reset_settings()
    return key


def dagmap(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def get_json(conn_id: str, *flags: str) -> dict[str, object]:
    result = dagmap("connections", "get", conn_id, "--json", *flags)
    assert result.exit_code == 0, result.output
    fields: dict[str, object] = json.loads(result.stdout)
    return fields


def test_add_from_a_uri_then_get_hides_the_password_unless_asked(fernet_key: str) -> None:
    added = dagmap("connections", "add", "warehouse", "--conn-uri", PG_URI, "--conn-description", "the DWH")
    assert added.exit_code == 0, added.output
    assert "warehouse" in added.stdout

    hidden = get_json("warehouse")
    assert hidden == {
        "conn_id": "warehouse",
        "conn_type": "postgres",
        "host": "db.internal",
        "schema": "analytics",
        "login": "etl",
        "password": "***",
        "port": 5432,
        "extra": {"sslmode": "require"},
        "description": "the DWH",
        "uri": "postgres://etl:***@db.internal:5432/analytics?sslmode=require",
    }
    shown = get_json("warehouse", "--show-secrets")
    assert shown["password"] == "p@ss:word"
    assert shown["uri"] == "postgres://etl:p%40ss%3Aword@db.internal:5432/analytics?sslmode=require"

    text = dagmap("connections", "get", "warehouse")
    assert text.exit_code == 0
    assert "password: ***" in text.stdout and "p@ss" not in text.stdout and "p%40ss" not in text.stdout


def test_add_from_json_and_from_fields_hides_secret_extras(fernet_key: str) -> None:
    definition = {"conn_type": "aws", "login": "AKIA", "password": "pw-123", "extra": {"region_name": "eu-west-1"}}
    assert dagmap("connections", "add", "aws", "--conn-json", json.dumps(definition)).exit_code == 0
    extra = json.dumps({"api_token": "tok-123456", "timeout": 5})
    fields = ["--conn-type", "http", "--conn-host", "api.example.com", "--conn-port", "443", "--conn-login", "me"]
    result = dagmap("connections", "add", "api", *fields, "--conn-schema", "v1", "--conn-extra", extra)
    assert result.exit_code == 0, result.output

    aws = get_json("aws")
    assert (aws["login"], aws["password"], aws["extra"]) == ("AKIA", "***", {"region_name": "eu-west-1"})
    api = get_json("api")
    assert (api["host"], api["port"], api["schema"], api["login"]) == ("api.example.com", 443, "v1", "me")
    assert api["extra"] == {"api_token": "***", "timeout": 5}
    assert "tok-123456" not in str(api["uri"])
    assert get_json("api", "--show-secrets")["extra"] == {"api_token": "tok-123456", "timeout": 5}


def test_secrets_are_encrypted_in_the_database(fernet_key: str, dagmap_home: Path) -> None:
    assert dagmap("connections", "add", "warehouse", "--conn-uri", PG_URI).exit_code == 0
    with sqlite3.connect(dagmap_home / "dagmap.db") as database:
        [(login, password, extra)] = database.execute("SELECT login, password, extra FROM connection").fetchall()
    assert login == "etl"
    assert "p@ss" not in password and "sslmode" not in extra
    assert crypto.decrypt(password) == "p@ss:word"


def test_refuses_to_store_a_secret_without_a_fernet_key() -> None:
    result = dagmap("connections", "add", "warehouse", "--conn-uri", PG_URI)
    assert result.exit_code == 1
    assert "'warehouse'" in result.stderr and "DAGMAP__CORE__FERNET_KEY" in result.stderr
    assert json.loads(dagmap("connections", "list", "--json").stdout) == []

    no_secret = dagmap("connections", "add", "public", "--conn-type", "http", "--conn-host", "example.com")
    assert no_secret.exit_code == 0, no_secret.output
    assert get_json("public")["host"] == "example.com"


def test_an_existing_id_is_an_error_and_is_left_unchanged(fernet_key: str) -> None:
    assert dagmap("connections", "add", "c", "--conn-type", "http", "--conn-host", "one").exit_code == 0
    again = dagmap("connections", "add", "c", "--conn-type", "http", "--conn-host", "two")
    assert again.exit_code == 1
    assert "'c' already exists" in again.stderr
    assert get_json("c")["host"] == "one"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--conn-uri", PG_URI, "--conn-json", "{}"], "not both"),
        (["--conn-uri", PG_URI, "--conn-host", "h"], "--conn-host cannot be combined with --conn-uri"),
        (["--conn-json", '{"conn_type": "http"}', "--conn-extra", "{}"], "--conn-extra cannot be combined"),
        (["--conn-host", "h"], "give --conn-uri, --conn-json or --conn-type"),
        (["--conn-type", "http", "--conn-extra", "[1]"], "must be a JSON object"),
        (["--conn-type", "http", "--conn-extra", "{bad"], "not valid JSON"),
        (["--conn-json", '{"conn_type": "http", "hots": "typo"}'], "unknown fields"),
        (["--conn-json", '{"host": "h"}'], "has no type"),
    ],
)
def test_invalid_definitions_exit_1_naming_the_id(arguments: list[str], message: str) -> None:
    result = dagmap("connections", "add", "broken", *arguments)
    assert result.exit_code == 1, result.output
    assert "'broken'" in result.stderr and message in result.stderr


def test_invalid_conn_id() -> None:
    result = dagmap("connections", "add", "no spaces", "--conn-type", "http")
    assert result.exit_code == 1
    assert "invalid conn_id 'no spaces'" in result.stderr


def test_delete_and_get_of_a_missing_connection_exit_1(fernet_key: str) -> None:
    assert dagmap("connections", "add", "c", "--conn-type", "http").exit_code == 0
    deleted = dagmap("connections", "delete", "c")
    assert deleted.exit_code == 0 and "'c'" in deleted.stdout
    again = dagmap("connections", "delete", "c")
    assert again.exit_code == 1 and "'c'" in again.stderr
    missing = dagmap("connections", "get", "c")
    assert missing.exit_code == 1 and "'c'" in missing.stderr


def test_get_reads_the_environment_first(fernet_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dagmap("connections", "add", "shared", "--conn-type", "http", "--conn-host", "stored").exit_code == 0
    monkeypatch.setenv("DAGMAP_CONN_SHARED", "http://from-env")
    assert get_json("shared")["host"] == "from-env"
    warned = dagmap("connections", "add", "other", "--conn-type", "http")
    assert "warning" not in warned.stderr
    monkeypatch.setenv("DAGMAP_CONN_OTHER2", "http://x")
    shadowed = dagmap("connections", "add", "other2", "--conn-type", "http")
    assert shadowed.exit_code == 0 and "environment also defines connection 'other2'" in shadowed.stderr


def test_list_shows_ids_and_types_or_every_field(fernet_key: str) -> None:
    assert dagmap("connections", "add", "b_api", "--conn-type", "http", "--conn-password", "pw-999").exit_code == 0
    assert dagmap("connections", "add", "a_db", "--conn-uri", PG_URI).exit_code == 0

    assert json.loads(dagmap("connections", "list", "--json").stdout) == [
        {"conn_id": "a_db", "conn_type": "postgres"},
        {"conn_id": "b_api", "conn_type": "http"},
    ]
    values = json.loads(dagmap("connections", "list", "--json", "--show-values").stdout)
    assert [(row["conn_id"], row["password"]) for row in values] == [("a_db", "***"), ("b_api", "***")]
    secrets = json.loads(dagmap("connections", "list", "--json", "--show-values", "--show-secrets").stdout)
    assert [row["password"] for row in secrets] == ["p@ss:word", "pw-999"]
    table = dagmap("connections", "list")
    assert table.exit_code == 0 and "a_db" in table.stdout and "b_api" in table.stdout
    assert dagmap("connections", "list", "--show-secrets").exit_code == 1


def test_listing_ids_needs_no_key_but_decrypting_does(fernet_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dagmap("connections", "add", "c", "--conn-type", "http", "--conn-password", "pw-999").exit_code == 0
    monkeypatch.delenv("DAGMAP__CORE__FERNET_KEY")
    reset_settings()
    assert json.loads(dagmap("connections", "list", "--json").stdout) == [{"conn_id": "c", "conn_type": "http"}]
    result = dagmap("connections", "get", "c")
    assert result.exit_code == 1 and "DAGMAP__CORE__FERNET_KEY" in result.stderr


def test_the_installed_command_round_trips(dagmap_home: Path, fernet_key: str) -> None:
    env = {**os.environ, "DAGMAP_HOME": str(dagmap_home), "DAGMAP__CORE__FERNET_KEY": fernet_key}
    command = [str(Path(sys.executable).parent / "dagmap"), "connections"]
    added = subprocess.run([*command, "add", "w", "--conn-uri", PG_URI], env=env, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    got = subprocess.run([*command, "get", "w", "--json"], env=env, capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["password"] == "***"
    missing = subprocess.run([*command, "delete", "nope"], env=env, capture_output=True, text=True)
    assert missing.returncode == 1 and "'nope'" in missing.stderr
