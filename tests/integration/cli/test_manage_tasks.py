"""``dagmap tasks clear|states-for-dag-run|list|state`` through the CLI on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import manage_harness as harness
import pytest
from typer.testing import CliRunner

from dagmap.cli.main import app
from dagmap.services.dag_test import run_dag_test

runner = CliRunner(env={"COLUMNS": "200"})
RUN = "manual__2024-01-01T00:00:00+00:00"


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def dags(tmp_path: Path, db_url: str) -> Path:
    """A folder with mapping_failed_instance and mapping_task_group, both run once (2024-01-01)."""
    folder = harness.dags_folder(tmp_path / "dags", "mapping_failed_instance", "mapping_task_group")
    for dag_id in ("mapping_failed_instance", "mapping_task_group"):
        run_dag_test(dag_id, logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    return folder


def states(dag_id: str) -> dict[tuple[str, int], dict[str, object]]:
    code, out, err = invoke("tasks", "states-for-dag-run", dag_id, RUN, "--json")
    assert code == 0, err
    return {(ti["task_id"], ti["map_index"]): ti for ti in json.loads(out)}


def test_states_for_dag_run_json_shape(dags: Path) -> None:
    found = states("mapping_failed_instance")
    assert sorted(found) == [
        ("divide", 0),
        ("divide", 1),
        ("divide", 2),
        ("reduce_all_done", -1),
        ("reduce_default", -1),
    ]
    for item in found.values():
        assert set(item) == {"task_id", "map_index", "state", "try_number", "start_date", "end_date"}
    assert found[("divide", 1)]["state"] == "failed" and found[("divide", 1)]["try_number"] == 1
    datetime.fromisoformat(str(found[("divide", 0)]["end_date"]))
    code, out, _ = invoke("tasks", "states-for-dag-run", "mapping_failed_instance", "2024-01-01")
    assert code == 0 and "reduce_all_done" in out
    code, _, err = invoke("tasks", "states-for-dag-run", "mapping_failed_instance", "nope")
    assert code == 2 and "nope" in err


def test_clear_one_map_index_and_run_again(dags: Path) -> None:
    code, out, err = invoke("tasks", "clear", "mapping_failed_instance", "-t", "^divide$", "--map-index", "1", "-y")
    assert code == 0, err
    assert "about to clear 3 task instances in 1 runs" in out
    assert "divide[1]" in out and "cleared 3 task instances" in out and f"runs queued again: {RUN}" in out
    found = states("mapping_failed_instance")
    assert (found[("divide", 1)]["state"], found[("divide", 1)]["end_date"]) == (None, None)
    assert found[("divide", 0)]["state"] == "success"
    assert invoke("dags", "state", "mapping_failed_instance", RUN)[1].strip() == "queued"
    assert harness.drive("mapping_failed_instance", RUN, dags) == {RUN: "failed"}
    found = states("mapping_failed_instance")
    assert [found[("divide", i)]["try_number"] for i in range(3)] == [1, 2, 1]


def test_clear_in_a_mapped_group_asks_first_and_can_be_dry(dags: Path) -> None:
    code, out, _ = invoke("tasks", "clear", "mapping_task_group", "-t", "check", "--map-index", "2", "--dry-run")
    assert code == 0
    assert "would clear 4 task instances" in out
    assert "pipeline.check[2]" in out and "pipeline.scale[2]" in out and "pipeline.label" not in out
    code, _, err = invoke("tasks", "clear", "mapping_task_group", "-t", "check", "--map-index", "2", input="n\n")
    assert code == 1 and "nothing was cleared" in err
    assert states("mapping_task_group")[("pipeline.check", 2)]["state"] == "success"
    code, out, _ = invoke("tasks", "clear", "mapping_task_group", "-t", "check", "--map-index", "2", input="y\n")
    assert code == 0 and "cleared 4 task instances" in out
    assert states("mapping_task_group")[("pipeline.check", 2)]["state"] is None
    assert states("mapping_task_group")[("pipeline.check", 0)]["state"] == "success"


def test_clear_refuses_bad_selections(dags: Path) -> None:
    code, _, err = invoke("tasks", "clear", "mapping_failed_instance", "-t", "reduce", "--map-index", "0", "-y")
    assert code == 2 and "not mapped: reduce_all_done, reduce_default" in err
    code, _, err = invoke("tasks", "clear", "mapping_failed_instance", "-t", "nothing_like_this", "-y")
    assert code == 2 and "no task matches" in err
    code, _, err = invoke("tasks", "clear", "mapping_failed_instance", "-t", "(", "-y")
    assert code == 2 and "invalid --task-regex" in err
    code, out, err = invoke("tasks", "clear", "mapping_failed_instance", "-t", "divide", "--map-index", "7", "-y")
    assert code == 0 and "nothing to clear" in out and "divide[7]" in err
    code, out, _ = invoke("tasks", "clear", "mapping_failed_instance", "--only-failed", "--no-downstream", "-y")
    assert code == 0 and "cleared 2 task instances" in out  # divide[1] and reduce_default


def test_tasks_list_and_state(dags: Path) -> None:
    code, out, _ = invoke("tasks", "list", "mapping_task_group")
    assert out.split() == sorted(out.split()) and "pipeline.scale" in out.split()
    code, out, _ = invoke("tasks", "list", "mapping_task_group", "--tree")
    lines = out.splitlines()
    assert lines[0].startswith("numbers <")
    assert any(line.startswith("    pipeline.check <") and line.endswith("[mapped]") for line in lines)
    assert any("(see above)" in line for line in lines) or len(lines) >= 6
    code, out, err = invoke("tasks", "state", "mapping_task_group", "pipeline.check", RUN)
    assert (code, out.strip()) == (0, "failed")
    assert "3 instances" in err
    code, out, _ = invoke("tasks", "state", "mapping_task_group", "pipeline.check", "2024-01-01", "--map-index", "2")
    assert out.strip() == "success"
    code, _, err = invoke("tasks", "state", "mapping_task_group", "pipeline.check", RUN, "--map-index", "9")
    assert code == 2 and "map index 9" in err
