"""TriggerDagRunOperator's parse-time checks; the operator at work is in
tests/integration/scheduler_service/test_trigger_dagrun.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dagmap import DAG
from dagmap.errors import DagDefinitionError
from dagmap.operators import TriggerDagRunOperator


@pytest.mark.parametrize(
    ("kwargs", "argument", "message"),
    [
        ({"allowed_states": ["done"]}, "allowed_states", "'done' is not a DAG run state"),
        ({"failed_states": ["upstream_failed"]}, "failed_states", "'upstream_failed' is not a DAG run state"),
        ({"conf": {"when": object()}}, "conf", "conf must be JSON-serializable"),
        ({"logical_date": 20240101}, "logical_date", "logical_date must be a string or a datetime"),
    ],
)
def test_bad_arguments_name_the_task_and_argument(kwargs: dict[str, Any], argument: str, message: str) -> None:
    with DAG("d", schedule=None), pytest.raises(DagDefinitionError, match=message) as raised:
        TriggerDagRunOperator(task_id="trigger", trigger_dag_id="other", **kwargs)
    assert raised.value.task_id == "trigger" and raised.value.argument == argument


def test_logical_date_text_or_datetime_naive_in_the_dags_zone() -> None:
    with DAG("d", schedule=None, start_date=dt.datetime(2024, 1, 1)):
        text = TriggerDagRunOperator(task_id="a", trigger_dag_id="o", logical_date="2024-05-01T10:00:00+02:00")
        old_name = TriggerDagRunOperator(task_id="b", trigger_dag_id="o", execution_date=dt.datetime(2024, 5, 1))
    assert text._logical_date() == dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)
    assert old_name._logical_date() == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def test_it_maps_over_conf() -> None:
    with DAG("d", schedule=None):
        mapped = TriggerDagRunOperator.partial(task_id="t", trigger_dag_id="o").expand(conf=[{"a": 1}, {"a": 2}])
    assert mapped.task_id == "t"
