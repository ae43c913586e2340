"""ExternalTaskSensor for real: ``producer`` runs through ``dags test``, then ``consumer``'s sensors read its
runs and instances (mapped ones and a task group included) from the same database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dagmap.config import get_settings
from dagmap.services.dag_test import RunReport, run_dag_test

DAGS = Path(__file__).resolve().parent / "external_dags"
DAY = datetime(2024, 1, 2, tzinfo=UTC)
NEXT_DAY = datetime(2024, 1, 3, tzinfo=UTC)


def _states(report: RunReport) -> dict[str, str | None]:
    return {ti.task_id: ti.state for ti in report.task_instances if ti.map_index == -1}


def _log(report: RunReport, task_id: str) -> str:
    (path,) = get_settings().log_folder.glob(
        f"dag_id={report.dag_id}/run_id={report.run_id}/task_id={task_id}/map_index=-1/attempt=1.log"
    )
    return path.read_text()


def test_sensors_wait_for_runs_tasks_mapped_tasks_and_groups_at_their_dates(db_url: str) -> None:
    producer = run_dag_test("producer", logical_date=DAY, dags_folder=DAGS)
    assert producer.state == "success"
    consumer = run_dag_test("consumer", logical_date=DAY, dags_folder=DAGS)
    states = _states(consumer)
    assert states == {
        "wait_mapped": "success",  # all three instances of `square` succeeded
        "wait_dag": "success",
        "wait_group": "success",
        "wait_tasks": "success",
        "wait_yesterday": "skipped",  # no producer run the day before: timed out, soft_fail
        "wait_both_days": "skipped",  # one of its two dates has no run
        "wait_skip": "success",
        "wait_missing": "failed",
        "marker": "success",
    }
    assert "the external DAG 'no_such_dag' does not exist" in _log(consumer, "wait_missing")
    assert "Poking for tasks ['square'] of DAG 'producer' at 2024-01-02T00:00:00+00:00" in _log(consumer, "wait_mapped")

    # The next day the producer fails: the sensors that list failed states fail or skip at once.
    failed = run_dag_test("producer", logical_date=NEXT_DAY, conf={"fail": True}, dags_folder=DAGS)
    assert failed.state == "failed"
    consumer = run_dag_test("consumer", logical_date=NEXT_DAY, dags_folder=DAGS)
    states = _states(consumer)
    assert states["wait_mapped"] == "success"
    assert states["wait_group"] == "success"
    assert states["wait_dag"] == "failed"
    assert "DAG 'producer' is in a failed state (failed)" in _log(consumer, "wait_dag")
    assert states["wait_tasks"] == "failed"
    assert "ExternalTaskFailedError" in _log(consumer, "wait_tasks")
    assert states["wait_skip"] == "skipped"
    assert states["wait_yesterday"] == "success"  # the producer's run of DAY
    assert states["wait_both_days"] == "success"
