"""Task callbacks as the runner finds and calls them, and the context keys build_context adds (no database)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from dagmap import DAG, task
from dagmap.model.keys import TaskInstanceKey
from dagmap.operators.python import PythonOperator
from dagmap.runner.callbacks import callbacks_of, run_callbacks
from dagmap.runner.context import RuntimeTaskInstance, build_context
from dagmap.runner.outcome import PreviousRun, RunInfo

JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)
JAN_2 = datetime(2024, 1, 2, tzinfo=UTC)
JAN_3 = datetime(2024, 1, 3, tzinfo=UTC)


def first(context: dict[str, Any]) -> None:
    context["seen"].append("first")


def second(context: dict[str, Any]) -> None:
    context["seen"].append("second")


def broken(context: dict[str, Any]) -> None:
    raise RuntimeError("callback broke")


def _noop() -> None:
    return None


def test_callbacks_of_reads_one_a_list_default_args_and_a_mapped_operators_partial() -> None:
    with DAG("cb", start_date=JAN_1, schedule=None, default_args={"on_retry_callback": first}):
        plain = PythonOperator(task_id="plain", python_callable=_noop, on_success_callback=[first, second])
        mapped = PythonOperator.partial(task_id="mapped", python_callable=_noop, on_failure_callback=second).expand(
            op_args=[[1]]
        )

        @task(on_skipped_callback=first)
        def flow() -> None:
            return None

        flowed = flow()
    assert callbacks_of(plain, "on_success_callback") == [first, second]
    assert callbacks_of(plain, "on_retry_callback") == [first]
    assert callbacks_of(plain, "on_execute_callback") == []
    assert callbacks_of(mapped, "on_failure_callback") == [second]
    assert callbacks_of(mapped, "on_retry_callback") == [first]
    assert callbacks_of(mapped, "on_success_callback") == []
    assert callbacks_of(flowed.operator, "on_skipped_callback") == [first]


def test_a_failing_callback_is_logged_and_the_next_one_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    context: dict[str, Any] = {"seen": []}
    with caplog.at_level(logging.INFO):
        run_callbacks([first, broken, second], "on_success_callback", context)
    assert context["seen"] == ["first", "second"]
    assert "on_success_callback broken failed" in caplog.text
    assert "RuntimeError: callback broke" in caplog.text


class _Client:
    """Only what build_context touches: the previous successful run, counted."""

    def __init__(self, previous: PreviousRun | None) -> None:
        self.previous = previous
        self.calls = 0

    def previous_success(self, dag_id: str, run_id: str) -> PreviousRun | None:
        self.calls += 1
        return self.previous


def _context(client: _Client, *, run_type: str = "scheduled", schedule: str | None = "@daily") -> dict[str, Any]:
    with DAG("ctx", start_date=JAN_1, schedule=schedule) as dag:
        op = PythonOperator(task_id="t", python_callable=_noop)
    info = RunInfo("ctx", f"{run_type}__1", run_type, JAN_2, JAN_2, JAN_3, {}, JAN_3)
    ti = RuntimeTaskInstance(
        key=TaskInstanceKey("ctx", info.run_id, "t", -1),
        task=op,
        try_number=1,
        max_tries=0,
        client=client,  # type: ignore[arg-type]
        start_date=JAN_3,
        mapped_task_ids=frozenset(),
        log_path="",
    )
    return build_context(dag=dag, task=op, ti=ti, info=info, params={}, macros=None, expanded_ti_count=None)


def test_schedule_keys_of_a_daily_scheduled_run() -> None:
    context = _context(_Client(None))
    assert context["yesterday_ds_nodash"] == "20240101"
    assert context["tomorrow_ds_nodash"] == "20240103"
    assert context["prev_ds"] == "2024-01-01"
    assert context["prev_ds_nodash"] == "20240101"
    assert context["next_ds"] == "2024-01-03"
    assert context["next_ds_nodash"] == "20240103"
    assert context["prev_execution_date"] == JAN_1
    assert context["next_execution_date"] == JAN_3
    assert context["start_date"] == JAN_3
    for name in ("inlet_events", "outlet_events", "triggering_asset_events"):
        assert dict(context[name]) == {}


def test_without_a_schedule_prev_and_next_are_none() -> None:
    context = _context(_Client(None), schedule=None)
    assert context["prev_ds"] is None and context["next_execution_date"] is None


def test_previous_success_keys_are_lazy_and_share_one_lookup() -> None:
    earlier = PreviousRun(JAN_1, JAN_1, JAN_2, datetime(2024, 1, 2, 0, 5, tzinfo=UTC), None)
    client = _Client(earlier)
    context = _context(client)
    assert client.calls == 0
    assert context["prev_data_interval_start_success"] == JAN_1
    assert context["prev_data_interval_end_success"] == JAN_2
    assert str(context["prev_start_date_success"]) == "2024-01-02 00:05:00+00:00"
    assert not context["prev_end_date_success"]
    assert client.calls == 1


def test_previous_success_keys_without_an_earlier_success_are_falsy() -> None:
    context = _context(_Client(None), run_type="backfill")
    assert not context["prev_start_date_success"]
    assert f"{context['prev_data_interval_start_success']}" == "None"
