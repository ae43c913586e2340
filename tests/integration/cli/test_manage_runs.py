"""``dagmap dags trigger|backfill|pause|unpause|state|list-runs`` through the CLI on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import manage_harness as harness
import pytest
from typer.testing import CliRunner

from dagmap.cli.main import app

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def dags(tmp_path: Path) -> Path:
    return harness.dags_folder(tmp_path / "dags", "mapping_failed_instance", "mapping_reducer", "daily_params")


@pytest.fixture
def scheduler_stand_in(monkeypatch: pytest.MonkeyPatch, dags: Path) -> None:
    """``--wait`` polls the database; between two polls one scheduler step runs (no real scheduler here)."""
    from dagmap.services import runs

    def wait_for_runs(dag_id: str, run_ids: list[str], **options: object) -> dict[str, str]:
        step = harness.step_loop(dag_id, dags)
        return original(dag_id, run_ids, **{**options, "sleep": lambda _seconds: step()})  # type: ignore[arg-type]

    original = runs.wait_for_runs
    monkeypatch.setattr(runs, "wait_for_runs", functools.update_wrapper(wait_for_runs, original))


def test_trigger_json_is_the_dags_test_report(db_url: str, dags: Path) -> None:
    code, out, err = invoke(
        "dags", "trigger", "daily_params", "--logical-date", "2024-01-02", "--conf", '{"n": 2}', "-S", str(dags),
        "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"dag_id", "run_id", "logical_date", "state", "task_instances"}
    assert (report["run_id"], report["state"]) == ("manual__2024-01-02T00:00:00+00:00", "queued")
    assert {(ti["task_id"], ti["state"]) for ti in report["task_instances"]} == {("numbers", None), ("double", None)}
    assert "created run manual__2024-01-02T00:00:00+00:00" in err
    code, out, _ = invoke("dags", "state", "daily_params", "manual__2024-01-02T00:00:00+00:00")
    assert (code, out.strip()) == (0, "queued")
    code, out, _ = invoke("dags", "state", "daily_params", "2024-01-02", "--json")
    assert json.loads(out)["conf"] == {"n": 2}


def test_trigger_refuses_bad_conf_and_duplicate_run_ids(db_url: str, dags: Path) -> None:
    code, _, err = invoke("dags", "trigger", "daily_params", "--conf", '{"n": 0}', "-S", str(dags))
    assert code == 2
    assert "daily_params" in err and "'n'" in err
    assert invoke("dags", "trigger", "daily_params", "-r", "first", "-S", str(dags))[0] == 0
    code, _, err = invoke("dags", "trigger", "daily_params", "-r", "first")
    assert code == 2 and "'first' already exists" in err
    code, _, err = invoke("dags", "trigger", "daily_params", "--conf", "[1]")
    assert code == 2 and "JSON object" in err
    code, _, err = invoke("dags", "trigger", "no_such_dag", "-S", str(dags))
    assert code == 2 and "no_such_dag" in err
    code, out, _ = invoke("dags", "list-runs", "daily_params", "--json")
    assert [run["run_id"] for run in json.loads(out)] == ["first"]


@pytest.mark.usefixtures("scheduler_stand_in")
def test_trigger_wait_exits_with_the_runs_outcome(db_url: str, dags: Path) -> None:
    code, out, err = invoke("dags", "trigger", "mapping_reducer", "--wait", "-S", str(dags), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["state"] == "success"
    assert sorted(ti["return_value"] for ti in report["task_instances"] if ti["task_id"] == "square") == [0, 1, 4, 9]
    assert "no scheduler has heartbeated" in err
    code, out, err = invoke("dags", "trigger", "mapping_failed_instance", "--wait", "-S", str(dags))
    assert code == 1
    assert "divide: " in out  # progress per task
    assert "failed" in out


@pytest.mark.usefixtures("scheduler_stand_in")
def test_backfill_pause_and_list_runs(db_url: str, dags: Path) -> None:
    assert invoke("dags", "trigger", "daily_params", "-e", "2024-01-02", "-S", str(dags))[0] == 0
    code, out, _ = invoke("dags", "backfill", "daily_params", "-s", "2024-01-01", "-e", "2024-01-03", "--dry-run")
    assert code == 0
    assert "would create backfill__2024-01-01T00:00:00+00:00" in out
    assert "skipped 2024-01-02T00:00:00+00:00: run manual__2024-01-02T00:00:00+00:00 already exists" in out
    code, out, _ = invoke("dags", "pause", "daily_params")
    assert (code, out.strip()) == (0, "DAG daily_params paused")
    code, out, err = invoke("dags", "backfill", "daily_params", "-s", "2024-01-01", "-e", "2024-01-03")
    assert code == 0
    assert "2 runs created, 1 skipped" in out and "is paused" in err
    code, out, _ = invoke("dags", "list-runs", "daily_params", "--json", "--state", "queued")
    listed = json.loads(out)
    assert [(r["run_id"], r["run_type"]) for r in listed] == [
        ("backfill__2024-01-03T00:00:00+00:00", "backfill"),
        ("manual__2024-01-02T00:00:00+00:00", "manual"),
        ("backfill__2024-01-01T00:00:00+00:00", "backfill"),
    ]
    assert invoke("dags", "unpause", "daily_params")[1].strip() == "DAG daily_params unpaused"
    code, out, _ = invoke("dags", "backfill", "daily_params", "-s", "2024-01-04", "-e", "2024-01-04", "--wait")
    assert code == 0
    assert "backfill__2024-01-04T00:00:00+00:00: success" in out
    code, _, err = invoke(
        "dags", "backfill", "mapping_reducer", "-s", "2024-01-01", "-e", "2024-01-02", "-S", str(dags)
    )
    assert code == 2 and "nothing to backfill" in err
    code, _, err = invoke("dags", "list-runs", "daily_params", "--state", "done")
    assert code == 2 and "unknown run state" in err
    code, _, err = invoke("dags", "state", "daily_params", "no_such_run")
    assert code == 2 and "no_such_run" in err


def test_delete_run_removes_its_rows_and_its_stored_objects_only(
    db_url: str, dags: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagmap.config import reset_settings

    store = tmp_path / "xcom"
    monkeypatch.setenv("DAGMAP__CORE__XCOM_BACKEND", "object_store")
    monkeypatch.setenv("DAGMAP__CORE__XCOM_OBJECT_STORE_THRESHOLD", "1")  # every value goes to the store
    monkeypatch.setenv("DAGMAP__CORE__XCOM_OBJECT_STORE_URL", store.as_uri())
    reset_settings()
    for day in ("2024-01-01", "2024-01-02"):
        assert invoke("dags", "test", "mapping_reducer", day, "--dags-folder", str(dags))[0] == 0
    runs_stored = sorted(p.name for p in (store / "mapping_reducer").iterdir())
    assert len(runs_stored) == 2

    assert invoke("dags", "delete-run", "mapping_reducer", "2024-01-01", input="n\n")[0] == 1
    assert invoke("dags", "state", "mapping_reducer", "2024-01-01")[0] == 0  # nothing deleted

    code, out, _ = invoke("dags", "delete-run", "mapping_reducer", "2024-01-01", "--yes")
    assert code == 0, out
    assert "deleted DAG run manual__2024-01-01" in out and "XCom object(s) from the object store" in out
    assert [p.name for p in (store / "mapping_reducer").iterdir()] == [runs_stored[1]]
    assert invoke("dags", "state", "mapping_reducer", "2024-01-01")[0] == 2
    code, out, _ = invoke("dags", "state", "mapping_reducer", "2024-01-02", "--json")
    assert code == 0 and json.loads(out)["state"] == "success"
    code, _, err = invoke("dags", "delete-run", "mapping_reducer", "2024-01-01", "--yes")
    assert code == 2 and "2024-01-01" in err


def test_delete_run_is_refused_while_instances_are_queued_or_running(db_url: str, dags: Path) -> None:
    from sqlalchemy import update

    from dagmap.store import db
    from dagmap.store.orm import TaskInstanceRow

    code, out, _ = invoke("dags", "trigger", "mapping_reducer", "--run-id", "busy", "--dags-folder", str(dags))
    assert code == 0, out
    with db.session_scope() as session:  # a worker took one instance
        session.execute(
            update(TaskInstanceRow)
            .where(TaskInstanceRow.run_id == "busy", TaskInstanceRow.task_id == "inspect")
            .values(state="running")
        )
    code, _, err = invoke("dags", "delete-run", "mapping_reducer", "busy", "--yes")
    assert code == 2 and "queued or running (inspect)" in err
    assert invoke("dags", "state", "mapping_reducer", "busy")[0] == 0
