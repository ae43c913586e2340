"""The context's asset keys (no database): ``outlet_events`` extras become the try's asset updates, and
``triggering_asset_events`` / ``triggering_dataset_events`` load the run's events once, only when read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jinja2
import pytest

from dagmap import DAG, Asset
from dagmap.datasets import Dataset
from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import AssetSpec
from dagmap.operators.python import PythonOperator
from dagmap.runner.asset_events import OutletEventAccessors, TriggeringAssetEvents
from dagmap.runner.context import RuntimeTaskInstance, build_context
from dagmap.runner.outcome import AssetEventInfo, AssetUpdate, RunInfo

WHEN = datetime(2024, 1, 2, tzinfo=UTC)
SOURCE = RunInfo("producer", "manual__1", "manual", WHEN, WHEN, WHEN, {"k": 1}, WHEN)
EVENTS = [
    AssetEventInfo("s3://a", "a", "asset", WHEN, {"rows": 1}, "producer", "part", "manual__1", 0, SOURCE),
    AssetEventInfo("s3://a", "a", "asset", WHEN, {"rows": 2}, "producer", "part", "manual__1", 2),
    AssetEventInfo("file:///b", "file:///b", "asset", WHEN, {}, "other", "write", "manual__2", -1),
]


class _Client:
    def __init__(self) -> None:
        self.loads = 0

    def triggering_asset_events(self, dag_id: str, run_id: str) -> list[AssetEventInfo]:
        self.loads += 1
        return EVENTS

    def previous_success(self, dag_id: str, run_id: str) -> None:
        return None


def _context(client: _Client, run_type: str) -> dict[str, Any]:
    a = Asset("s3://a")
    with DAG("consumer", start_date=WHEN, schedule=[a]) as dag:
        op = PythonOperator(task_id="t", python_callable=lambda: None, outlets=[Asset("s3://out")])
    info = RunInfo("consumer", f"{run_type}__x", run_type, WHEN, WHEN, WHEN, {}, WHEN)
    ti = RuntimeTaskInstance(
        key=TaskInstanceKey("consumer", info.run_id, "t", -1), task=op, try_number=1, max_tries=0,
        client=client, start_date=WHEN, mapped_task_ids=frozenset(), log_path="",  # type: ignore[arg-type]
    )  # fmt: skip
    return build_context(dag=dag, task=op, ti=ti, info=info, params={}, macros=None, expanded_ti_count=None)


def test_triggering_events_load_once_and_only_when_read() -> None:
    client = _Client()
    context = _context(client, "asset_triggered")
    assert client.loads == 0
    events = context["triggering_asset_events"]
    assert [e.source_map_index for e in events[Asset("s3://a")]] == [0, 2]
    assert events["s3://a"][1].extra == {"rows": 2} and events[Dataset("file:///b")][0].source_task_id == "write"
    assert [asset.uri for asset in events] == ["s3://a", "file:///b"]
    assert all(isinstance(asset, Asset) for asset in events) and Asset("s3://a") in events and "s3://c" not in events
    first = events["s3://a"][0]
    assert (first.uri, first.asset, first.dataset.uri, first.timestamp) == ("s3://a", Asset("s3://a"), "s3://a", WHEN)
    assert (first.source_dag_id, first.source_run_id) == ("producer", "manual__1")
    run = first.source_dag_run
    assert (run.run_id, run.logical_date, run.data_interval_start, run.conf) == ("manual__1", WHEN, WHEN, {"k": 1})
    assert events["file:///b"][0].source_dag_run is None  # its run was deleted
    assert dict(context["triggering_dataset_events"]).keys() == {"s3://a", "file:///b"}
    assert client.loads == 1  # both keys share one load
    rendered = jinja2.Environment().from_string("{{ triggering_asset_events }}").render(context)
    assert "s3://a" in rendered and "'rows': 2" in rendered and "source_task_id='write'" in rendered
    assert context["outlets"] == [Asset("s3://out")]


def test_runs_not_triggered_by_assets_never_query() -> None:
    client = _Client()
    context = _context(client, "manual")
    assert len(context["triggering_asset_events"]) == 0 and dict(context["triggering_dataset_events"]) == {}
    assert client.loads == 0


def test_outlet_events_become_one_update_per_outlet_with_its_extra() -> None:
    accessors = OutletEventAccessors()
    accessors[Asset("s3://a")].extra = {"rows": 5}
    accessors["s3://a"].extra["more"] = True  # the same accessor, by URI
    accessors[Asset("s3://not_an_outlet")].extra = {"x": 1}
    outlets = [AssetSpec(uri="s3://a", name="a"), AssetSpec(uri="s3://b", name="b", group="tables")]
    assert accessors.updates(outlets) == [
        AssetUpdate("s3://a", "a", "asset", {"rows": 5, "more": True}),
        AssetUpdate("s3://b", "b", "tables", {}),
    ]
    accessors["s3://b"].extra = {"when": object()}
    with pytest.raises(TypeError, match="not JSON-serializable"):
        accessors.updates(outlets)
    with pytest.raises(KeyError):
        accessors[3]


def test_a_lazy_mapping_without_events_is_empty() -> None:
    events = TriggeringAssetEvents(list)
    assert len(events) == 0 and list(events) == [] and repr(events) == "{}"
