"""``dagmap variables set|get|delete|list`` against a SQLite metadata database in a temporary DAGMAP_HOME."""

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


@pytest.fixture(autouse=True)
def _fresh_state(dagmap_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("DAGMAP_VAR_", "AIRFLOW_VAR_")):
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


def value_of(key: str, *flags: str) -> str:
    result = dagmap("variables", "get", key, *flags)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_set_then_get_prints_the_value_as_stored(fernet_key: str) -> None:
    result = dagmap("variables", "set", "greeting", "hello world", "--description", "says hi")
    assert result.exit_code == 0, result.output
    assert "'greeting'" in result.stdout
    assert value_of("greeting") == "hello world\n"
    assert dagmap("variables", "set", "greeting", "bye").exit_code == 0
    assert value_of("greeting") == "bye\n"


def test_json_values_are_checked_stored_and_decoded(fernet_key: str) -> None:
    assert dagmap("variables", "set", "batch", '{"size": 500, "tables": ["a", "b"]}', "--json").exit_code == 0
    assert json.loads(value_of("batch", "--json")) == {"size": 500, "tables": ["a", "b"]}
    assert json.loads(value_of("batch")) == {"size": 500, "tables": ["a", "b"]}

    invalid = dagmap("variables", "set", "broken", "{size: 1}", "--json")
    assert invalid.exit_code == 1 and "'broken'" in invalid.stderr and "not valid JSON" in invalid.stderr
    assert dagmap("variables", "set", "plain", "text").exit_code == 0
    not_json = dagmap("variables", "get", "plain", "--json")
    assert not_json.exit_code == 1 and "'plain'" in not_json.stderr


def test_missing_variables(fernet_key: str) -> None:
    missing = dagmap("variables", "get", "nothing")
    assert missing.exit_code == 1 and "'nothing' does not exist" in missing.stderr
    assert value_of("nothing", "--default", "fallback") == "fallback\n"
    deleted = dagmap("variables", "delete", "nothing")
    assert deleted.exit_code == 1 and "'nothing'" in deleted.stderr


def test_delete_removes_the_variable(fernet_key: str) -> None:
    assert dagmap("variables", "set", "k", "v").exit_code == 0
    deleted = dagmap("variables", "delete", "k")
    assert deleted.exit_code == 0 and "'k'" in deleted.stdout
    assert dagmap("variables", "get", "k").exit_code == 1


def test_refuses_to_store_without_a_fernet_key(dagmap_home: Path) -> None:
    result = dagmap("variables", "set", "k", "v")
    assert result.exit_code == 1
    assert "'k'" in result.stderr and "DAGMAP__CORE__FERNET_KEY" in result.stderr
    assert json.loads(dagmap("variables", "list", "--json").stdout) == []


def test_values_are_encrypted_in_the_database(fernet_key: str, dagmap_home: Path) -> None:
    assert dagmap("variables", "set", "k", "clear-text-value").exit_code == 0
    with sqlite3.connect(dagmap_home / "dagmap.db") as database:
        [(stored,)] = database.execute("SELECT val FROM variable WHERE key = 'k'").fetchall()
    assert "clear-text-value" not in stored
    assert crypto.decrypt(stored) == "clear-text-value"


def test_get_reads_the_environment_first_and_set_warns(fernet_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGMAP_VAR_COLOR", "red")
    result = dagmap("variables", "set", "color", "blue")
    assert result.exit_code == 0
    assert "environment also defines variable 'color'" in result.stderr
    assert value_of("color") == "red\n"
    monkeypatch.delenv("DAGMAP_VAR_COLOR")
    assert value_of("color") == "blue\n"


def test_list_shows_keys_or_values_with_secrets_hidden(fernet_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert dagmap("variables", "set", "api_token", "tok-123456").exit_code == 0
    assert dagmap("variables", "set", "config", '{"user": "u", "password": "p4ssw0rd"}', "--json").exit_code == 0
    assert dagmap("variables", "set", "region", "eu", "--description", "where").exit_code == 0

    assert json.loads(dagmap("variables", "list", "--json").stdout) == [
        {"key": "api_token"},
        {"key": "config"},
        {"key": "region"},
    ]
    rows = json.loads(dagmap("variables", "list", "--json", "--show-values").stdout)
    assert rows[0] == {"key": "api_token", "value": "***", "description": None}
    assert json.loads(rows[1]["value"]) == {"user": "u", "password": "***"}
    assert rows[2] == {"key": "region", "value": "eu", "description": "where"}
    clear = json.loads(dagmap("variables", "list", "--json", "--show-values", "--show-secrets").stdout)
    assert clear[0]["value"] == "tok-123456"
    assert json.loads(clear[1]["value"])["password"] == "p4ssw0rd"
    table = dagmap("variables", "list", "--show-values")
    assert table.exit_code == 0 and "tok-123456" not in table.stdout and "region" in table.stdout

    monkeypatch.delenv("DAGMAP__CORE__FERNET_KEY")  # keys are not encrypted: listing them needs no key
    reset_settings()
    assert len(json.loads(dagmap("variables", "list", "--json").stdout)) == 3
    assert dagmap("variables", "list", "--show-values").exit_code == 1


def test_the_installed_command_round_trips(dagmap_home: Path, fernet_key: str) -> None:
    env = {**os.environ, "DAGMAP_HOME": str(dagmap_home), "DAGMAP__CORE__FERNET_KEY": fernet_key}
    command = [str(Path(sys.executable).parent / "dagmap"), "variables"]
    stored = subprocess.run([*command, "set", "k", "[1, 2]", "--json"], env=env, capture_output=True, text=True)
    assert stored.returncode == 0, stored.stderr
    got = subprocess.run([*command, "get", "k", "--json"], env=env, capture_output=True, text=True)
    assert (got.returncode, json.loads(got.stdout)) == (0, [1, 2])
    missing = subprocess.run([*command, "get", "nope"], env=env, capture_output=True, text=True)
    assert missing.returncode == 1 and "'nope'" in missing.stderr
