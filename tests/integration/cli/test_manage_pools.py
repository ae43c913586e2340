"""``dagmap pools set|get|list|delete`` through the CLI on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dagmap.cli.main import app

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_pools_crud(db_url: str) -> None:
    assert invoke("pools", "set", "gpu", "2", "two cards") == (0, "pool gpu: 2 slots\n", "")
    code, out, _ = invoke("pools", "set", "gpu", "3", "--json")
    assert json.loads(out) == {"pool": "gpu", "slots": 3, "description": "two cards", "occupied": 0, "open": 3}
    code, out, _ = invoke("pools", "list", "--json")
    assert [(p["pool"], p["slots"]) for p in json.loads(out)] == [("default_pool", 128), ("gpu", 3)]
    code, out, _ = invoke("pools", "get", "gpu")
    assert code == 0 and "two cards" in out
    assert invoke("pools", "delete", "gpu")[:2] == (0, "pool gpu deleted\n")
    code, _, err = invoke("pools", "get", "gpu")
    assert code == 2 and "'gpu'" in err
    code, _, err = invoke("pools", "delete", "default_pool")
    assert code == 2 and "cannot be deleted" in err
    code, _, err = invoke("pools", "set", "gpu", "-1")
    assert code == 2
    code, out, _ = invoke("pools", "list")
    assert code == 0 and "default_pool" in out and "gpu" not in out
