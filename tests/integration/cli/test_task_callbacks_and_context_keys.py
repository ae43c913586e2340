"""Task callbacks and Airflow's extra context keys through ``dags test`` (scheduler loop, runner, store), on
SQLite and PostgreSQL: what callbacks print lands in the try's log, a raising callback never changes the
outcome, runner-side failures (execution timeout, an upstream XCom that is missing) call on_failure, and
``prev_*_success`` come from the previous successful run."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from dagmap.config import get_settings
from dagmap.runner.logs import log_path_text
from dagmap.services.dag_test import RunReport, run_dag_test
from dagmap.store import db
from dagmap.store.queries import dag_runs, xcom

CALLBACKS_DAG = """
from datetime import datetime, timedelta
import time

from dagmap import DAG, task


def tell(context):
    ti = context["ti"]
    error = context.get("exception")
    suffix = f" {type(error).__name__}" if error is not None else ""
    print(f"callback saw {ti.task_id} {ti.state} try {ti.try_number}{suffix}")
    ti.xcom_push(key="seen_by_callback", value=ti.state)


def broken(context):
    raise RuntimeError("this callback is broken")


def exits(context):
    raise SystemExit(3)


with DAG("callback_edges", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task(on_execute_callback=[tell, broken], on_success_callback=[broken, exits, tell])
    def talker():
        print("talker runs")
        return "talked"

    @task(execution_timeout=timedelta(seconds=0.2), on_failure_callback=tell)
    def slow():
        time.sleep(30)

    @task
    def nothing():
        return None

    @task(on_failure_callback=tell)
    def uses(value):
        return value

    talker()
    slow()
    uses(nothing())
"""

CONTEXT_DAG = """
from datetime import datetime

from dagmap import DAG, task
from dagmap.operators.bash import BashOperator

with DAG("context_keys", start_date=datetime(2024, 1, 1), schedule="@daily") as dag:
    BashOperator(
        task_id="templated",
        bash_command=(
            "echo '{{ ds }} {{ prev_ds }} {{ prev_ds_nodash }} {{ next_ds }} {{ next_ds_nodash }} "
            "{{ yesterday_ds_nodash }} {{ tomorrow_ds_nodash }} {{ prev_data_interval_start_success }} "
            "{{ prev_data_interval_end_success }} {{ prev_start_date_success }} "
            "{{ (prev_end_date_success > prev_start_date_success) if prev_end_date_success else 'none' }} "
            "{{ start_date == dag_run.start_date }} {{ inlet_events | length }}'"
        ),
    )

    @task
    def injected(prev_ds=None, next_execution_date=None, prev_start_date_success=None, start_date=None,
                 outlet_events=None, triggering_asset_events=None):
        return [prev_ds, str(next_execution_date), str(prev_start_date_success), start_date is not None,
                len(outlet_events), len(triggering_asset_events)]

    injected()
"""


def _write(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return folder


def _log(report: RunReport, task_id: str, try_number: int = 1, map_index: int = -1) -> str:
    base = str(get_settings().log_folder)
    return Path(log_path_text(base, report.dag_id, report.run_id, task_id, map_index, try_number)).read_text()


def _states(report: RunReport) -> dict[str, str | None]:
    return {ti.task_id: ti.state for ti in report.task_instances}


def test_callbacks_log_into_the_try_and_never_change_its_outcome(db_url: str, tmp_path: Path) -> None:
    folder = _write(tmp_path / "dags", "callback_edges", CALLBACKS_DAG)
    report = run_dag_test("callback_edges", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    assert _states(report) == {"talker": "success", "slow": "failed", "nothing": "success", "uses": "failed"}

    talker = _log(report, "talker")
    order = [
        "callback saw talker running try 1",
        "talker runs",
        "on_success_callback broken failed (the task's state is unchanged)",
        "callback saw talker success try 1",
    ]
    positions = [talker.index(line) for line in order]
    assert positions == sorted(positions), talker
    assert "on_execute_callback broken failed" in talker
    assert "on_success_callback exits failed" in talker
    with db.session_factory()() as session:
        where = {"dag_id": report.dag_id, "run_id": report.run_id, "map_index": -1, "key": "seen_by_callback"}
        assert xcom.get(session, task_id="talker", **where) == '"success"'  # pushed by on_success
        assert xcom.get(session, task_id="uses", **where) == '"failed"'  # by on_failure, before any try push
    assert "RuntimeError: this callback is broken" in talker

    assert "callback saw slow failed try 1 TaskTimeoutError" in _log(report, "slow")
    assert "callback saw uses failed try 1 XComNotFound" in _log(report, "uses")


def test_corpus_callbacks_see_state_try_and_exception_in_order(db_url: str) -> None:
    corpus = Path(__file__).resolve().parents[2] / "dags"
    report = run_dag_test("callbacks_task", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=corpus)
    values = {(ti.task_id, ti.map_index): ti.return_value for ti in report.task_instances}
    assert values[("report", -1)] == (
        "running:1 success:1 up_for_retry:1:ValueError failed:2:ValueError running:1 skipped:1"
    )
    assert "on_success_callback broken failed" in _log(report, "ok")
    retry_log, failure_log = _log(report, "flaky", 1, 1), _log(report, "flaky", 2, 1)
    assert "Calling on_retry_callback" in retry_log and "on_failure_callback" not in retry_log
    assert "Calling on_failure_callback" in failure_log and "on_retry_callback" not in failure_log


def test_context_keys_render_and_inject_with_a_previous_successful_run(db_url: str, tmp_path: Path) -> None:
    folder = _write(tmp_path / "dags", "context_keys", CONTEXT_DAG)
    first = run_dag_test("context_keys", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    assert first.state == "success"
    second = run_dag_test("context_keys", logical_date=datetime(2024, 1, 3, tzinfo=UTC), dags_folder=folder)
    assert second.state == "success"
    with db.session_factory()() as session:
        earlier = dag_runs.get_dag_run(session, "context_keys", first.run_id)
        start_date = earlier.start_date
    assert start_date is not None

    values = {ti.task_id: ti.return_value for ti in second.task_instances}
    # A manual run (dags test): prev/next_ds are its own ds, as in Airflow 2; the manual data interval of
    # 2024-01-01 is the day before.
    assert values["templated"] == (
        f"2024-01-03 2024-01-03 20240103 2024-01-03 20240103 20240102 20240104 "
        f"2023-12-31 00:00:00+00:00 2024-01-01 00:00:00+00:00 {start_date} True True 0"
    )
    assert values["injected"] == ["2024-01-03", "2024-01-03 00:00:00+00:00", str(start_date), True, 0, 0]

    first_values = {ti.task_id: ti.return_value for ti in first.task_instances}
    assert first_values["templated"].split(" ")[7:11] == ["None", "None", "None", "none"]
