"""Which asset-scheduled DAGs get a run (pure): conditions against queued URIs, and the run's dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.scheduler.asset_triggers import plan_run, satisfied_dag_ids
from dagmap.timetables import AssetTriggeredTimetable, DataInterval


def _spec(dag_id: str, condition: dict[str, object] | None) -> DagSpec:
    timetable = AssetTriggeredTimetable(condition).serialize() if condition else {"type": "null"}
    return DagSpec(dag_id=dag_id, fileloc="/x.py", timetable=timetable, tasks=(TaskSpec(task_id="t", operator="X"),))


def _asset(uri: str) -> dict[str, object]:
    return {"asset": {"uri": uri, "name": uri, "group": "asset", "extra": {}}}


def test_only_dags_whose_condition_holds_are_chosen() -> None:
    specs = {
        "all": _spec("all", {"all": [_asset("a"), _asset("b")]}),
        "any": _spec("any", {"any": [_asset("a"), {"all": [_asset("b"), _asset("c")]}]}),
        "nested": _spec("nested", {"any": [_asset("x"), {"all": [_asset("b"), _asset("c")]}]}),
        "not_on_assets": _spec("not_on_assets", None),
    }
    queued = {"all": ["a"], "any": ["a"], "nested": ["b", "c"], "not_on_assets": ["a"], "no_spec": ["a"]}
    assert satisfied_dag_ids(specs, queued) == ["any", "nested"]
    assert satisfied_dag_ids(specs, {"all": ["b", "a"]}) == ["all"]


def test_a_run_is_dated_now_and_covers_its_events() -> None:
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    first, last = now - timedelta(minutes=5), now - timedelta(minutes=1)
    run = plan_run("d", now, (first, last))
    assert run.run_id == "asset_triggered__2024-05-01T12:00:00+00:00"
    assert run.logical_date == now and run.data_interval == DataInterval(first, last)
    assert plan_run("d", now, None).data_interval == DataInterval.exact(now)
