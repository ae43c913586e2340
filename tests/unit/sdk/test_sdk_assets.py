"""Assets in DAG files: Asset / Dataset, conditions with & and |, schedules and outlets, parse-time errors
naming where they are, and the spec + timetable round trip (old specs without outlets still load)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from dagmap import DAG, Asset, AssetAll, AssetAny, task
from dagmap.datasets import Dataset, DatasetAll, DatasetAny
from dagmap.errors import DagDefinitionError, ScheduleError
from dagmap.model import dag_spec_from_json, dag_spec_to_json
from dagmap.model.from_sdk import dag_to_spec
from dagmap.operators.bash import BashOperator
from dagmap.operators.empty import EmptyOperator
from dagmap.timetables import AssetTriggeredTimetable, deserialize
from dagmap.timetables.assets import AssetOrTimeSchedule, DatasetOrTimeSchedule

START = datetime(2024, 1, 1)
A, B, C = Asset("s3://bucket/a"), Asset("s3://bucket/b", name="bee", group="tables"), Asset("file:///c")


def test_assets_are_identified_by_uri_and_named_by_it_by_default() -> None:
    assert A.name == "s3://bucket/a" and A.group == "asset" and A.extra == {}
    assert B.name == "bee" and B.group == "tables"
    assert Asset("s3://bucket/a", name="other") == A and len({A, Asset("s3://bucket/a")}) == 1
    assert Dataset("s3://bucket/a", extra={"k": 1}) == A and Dataset("x").extra == {}
    assert DatasetAll is AssetAll and DatasetAny is AssetAny
    assert (Asset(name="orders").uri, Asset(name="orders").name) == ("orders", "orders")  # Airflow 3 style
    with pytest.raises(DagDefinitionError, match="uri must be a str"):
        Asset()


@pytest.mark.parametrize(
    ("uri", "problem"),
    [("", "must not be empty"), (" s3://x", "whitespace"), ("s3://x\n", "whitespace"), (3, "must be a str")],
)
def test_a_bad_uri_is_an_error_naming_the_file_and_the_dag(uri: object, problem: str) -> None:
    with pytest.raises(DagDefinitionError, match=problem) as raised, DAG("bad_uri", schedule=None, start_date=START):
        EmptyOperator(task_id="t", outlets=[Asset(uri)])  # type: ignore[arg-type]
    error = raised.value
    assert (error.dag_id, error.argument) == ("bad_uri", "uri")
    assert error.filename is not None and error.filename.endswith("test_sdk_assets.py")


def test_extra_must_be_a_json_dict() -> None:
    with pytest.raises(DagDefinitionError, match="JSON-serializable"):
        Asset("s3://x", extra={"when": object()})
    with pytest.raises(DagDefinitionError, match="must be a dict"):
        Asset("s3://x", extra=[1])  # type: ignore[arg-type]


def test_conditions_combine_flat_and_evaluate() -> None:
    condition = A | (B & C)
    assert condition == AssetAny(A, AssetAll(B, C))
    assert AssetAll(A, B, C) == A & B & C and AssetAny(A, B, C) == A | B | C
    assert [a.uri for a in (A | (A & B)).iter_assets()] == [A.uri, B.uri]
    assert condition.evaluate({A.uri}) and condition.evaluate({B.uri, C.uri})
    assert not condition.evaluate({B.uri}) and not condition.evaluate(set())


@pytest.mark.parametrize(
    ("schedule", "updated", "holds"),
    [
        ([A, B], {A.uri}, False),
        ([A, B], {A.uri, B.uri}, True),
        (A | (B & C), {C.uri}, False),
        (A | (B & C), {B.uri, C.uri}, True),
        (AssetAll(A, AssetAny(B, C)), {A.uri, C.uri}, True),
        (A, {A.uri}, True),
    ],
)
def test_an_asset_schedule_is_stored_in_the_timetable_and_round_trips(
    schedule: object, updated: set[str], holds: bool
) -> None:
    with DAG("consumer", schedule=schedule, start_date=START) as dag:
        EmptyOperator(task_id="t")
    spec = dag_to_spec(dag)
    assert spec.timetable["type"] == "asset" and spec.timetable_summary == "Asset"
    again = dag_spec_from_json(dag_spec_to_json(spec))
    assert again == spec
    timetable = deserialize(again.timetable)
    assert isinstance(timetable, AssetTriggeredTimetable) and timetable == dag.timetable
    assert timetable.evaluate(updated) is holds
    assert not timetable.can_be_scheduled
    assert timetable.next_dagrun_info(last_automated_data_interval=None, restriction=None, now=None) is None  # type: ignore[arg-type]


def test_mixing_assets_and_time_is_refused_clearly() -> None:
    with pytest.raises(DagDefinitionError, match="AssetOrTimeSchedule is not supported") as raised:
        DAG("mixed", schedule=[A, "@daily"], start_date=START)
    assert (raised.value.dag_id, raised.value.argument) == ("mixed", "schedule")
    with pytest.raises(DagDefinitionError, match="AssetOrTimeSchedule is not supported"):
        A | "@daily"  # type: ignore[operator]
    with pytest.raises(ScheduleError, match="AssetOrTimeSchedule is not supported"):
        AssetOrTimeSchedule(timetable=None, assets=[A])
    with pytest.raises(ScheduleError, match="AssetOrTimeSchedule is not supported"):
        DatasetOrTimeSchedule(timetable=None, datasets=[A])


def test_an_empty_schedule_list_is_never_scheduled() -> None:
    dag = DAG("empty_list", schedule=[], start_date=START)
    assert dag_to_spec(dag).timetable == {"type": "null"}


def test_outlets_on_operators_taskflow_and_mapped_tasks_reach_the_spec() -> None:
    with DAG("producer", schedule=None, start_date=START) as dag:
        BashOperator(task_id="classic", bash_command="true", outlets=[A, B, A])

        @task(outlets=[C])
        def flow(x: int) -> int:
            return x

        flow(1)
        flow.partial().expand(x=[1, 2])
        BashOperator.partial(task_id="mapped", outlets=[A]).expand(bash_command=["true", "false"])
        EmptyOperator(task_id="none")
    specs = {t.task_id: [a.uri for a in t.outlets] for t in dag_to_spec(dag).tasks}
    assert specs == {
        "classic": [A.uri, B.uri],
        "flow": [C.uri],
        "flow__1": [C.uri],
        "mapped": [A.uri],
        "none": [],
    }
    named = next(t for t in dag_to_spec(dag).tasks if t.task_id == "classic").outlets[1]
    assert (named.name, named.group) == ("bee", "tables")


def test_outlets_that_are_not_assets_name_the_task() -> None:
    with pytest.raises(DagDefinitionError, match="outlets must be assets") as raised, DAG("bad_outlets"):
        EmptyOperator(task_id="t", outlets=["s3://x"])
    assert (raised.value.dag_id, raised.value.task_id, raised.value.argument) == ("bad_outlets", "t", "outlets")
    with pytest.raises(DagDefinitionError, match="outlets must be assets") as raised, DAG("bad_mapped"):
        BashOperator.partial(task_id="m", outlets=[1]).expand(bash_command=["true"])
    assert raised.value.task_id == "m"


def test_a_spec_serialized_before_outlets_existed_still_loads() -> None:
    with DAG("old", schedule="@daily", start_date=START) as dag:
        EmptyOperator(task_id="t")
    data = json.loads(dag_spec_to_json(dag_to_spec(dag)))
    for task_data in data["tasks"]:
        del task_data["outlets"]
    assert dag_spec_from_json(data).tasks[0].outlets == ()
