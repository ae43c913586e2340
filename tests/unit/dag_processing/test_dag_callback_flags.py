"""DAG-level callbacks in the serialized spec (two flags, so that the scheduler knows without user code) and
the callables and log path the DAG processor uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from dagmap import DAG
from dagmap.dag_processing.callbacks import callback_log_path, dag_callbacks
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.spec import dag_spec_from_json, dag_spec_to_json
from dagmap.operators import EmptyOperator


def first(context: dict[str, Any]) -> None: ...


def second(context: dict[str, Any]) -> None: ...


def make(**callbacks: Any) -> DAG:
    with DAG("d", schedule=None, start_date=datetime(2024, 1, 1), **callbacks) as dag:
        EmptyOperator(task_id="t")
    return dag


def test_the_spec_says_which_callbacks_the_dag_has_and_round_trips() -> None:
    cases = {
        "none": (make(), (False, False)),
        "success": (make(on_success_callback=first), (True, False)),
        "failure list": (make(on_failure_callback=[first, second]), (False, True)),
        "empty list": (make(on_failure_callback=[]), (False, False)),
    }
    for name, (dag, flags) in cases.items():
        spec = dag_to_spec(dag)
        assert (spec.has_on_success_callback, spec.has_on_failure_callback) == flags, name
        assert dag_spec_from_json(dag_spec_to_json(spec)) == spec, name


def test_an_older_spec_without_the_flags_reads_as_no_callbacks() -> None:
    text = dag_spec_to_json(dag_to_spec(make(on_success_callback=first)))
    text = text.replace('"has_on_failure_callback":false,', "").replace('"has_on_success_callback":true,', "")
    assert "has_on_" not in text
    spec = dag_spec_from_json(text)
    assert (spec.has_on_success_callback, spec.has_on_failure_callback) == (False, False)


def test_one_callable_or_a_list() -> None:
    assert dag_callbacks(make(on_success_callback=first), is_failure=False) == [first]
    assert dag_callbacks(make(on_success_callback=first), is_failure=True) == []
    assert dag_callbacks(make(on_failure_callback=[first, second]), is_failure=True) == [first, second]


def test_callback_log_path() -> None:
    assert callback_log_path(Path("/logs"), "d", "manual__2024-01-01T00:00:00+00:00/x") == Path(
        "/logs/dag_processor/callbacks/dag_id=d/run_id=manual__2024-01-01T00:00:00+00:00_x.log"
    )
