"""``dagmap tasks clear`` of work inside a setup/teardown pair clears its setup and teardown too (Airflow's
rule), whole but without their own downstream, on SQLite and PostgreSQL; running the run again runs all three
again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import manage_harness as harness
from typer.testing import CliRunner

from dagmap.cli.main import app
from dagmap.services.dag_test import run_dag_test

runner = CliRunner(env={"COLUMNS": "200"})
RUN = "manual__2024-01-01T00:00:00+00:00"
DAG_ID = "setup_teardown_mapped_work"


def states() -> dict[tuple[str, int], dict[str, object]]:
    result = runner.invoke(app, ["tasks", "states-for-dag-run", DAG_ID, RUN, "--json"])
    assert result.exit_code == 0, result.stderr
    return {(ti["task_id"], ti["map_index"]): ti for ti in json.loads(result.stdout)}


def test_clearing_the_work_clears_its_setup_and_teardown(tmp_path: Path, db_url: str) -> None:
    folder = harness.dags_folder(tmp_path / "dags", DAG_ID)
    run_dag_test(DAG_ID, logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    result = runner.invoke(
        app,
        ["tasks", "clear", DAG_ID, "-t", "^divide$", "--map-index", "1", "-y"],  # downstream: the default
    )
    assert result.exit_code == 0, result.stderr
    assert "cleared 3 task instances" in result.stdout
    found = states()
    assert {key for key, ti in found.items() if ti["state"] is None} == {("create", -1), ("divide", 1), ("delete", -1)}
    assert found[("divide", 0)]["state"] == "success"
    assert harness.drive(DAG_ID, RUN, folder) == {RUN: "failed"}
    found = states()
    assert {key: ti["try_number"] for key, ti in found.items()} == {
        ("create", -1): 2,
        ("divide", 0): 1,
        ("divide", 1): 2,
        ("divide", 2): 1,
        ("delete", -1): 2,
    }
    assert found[("delete", -1)]["state"] == "success"
