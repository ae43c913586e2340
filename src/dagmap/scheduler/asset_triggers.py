"""Which DAGs scheduled on assets get a run now (pure: specs and queued URIs in, decisions out).

A DAG's condition is evaluated against the assets queued for it (updated since its last asset-triggered run);
when it holds, every one of those queue rows is consumed by the new run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from dagmap.model.spec import DagSpec
from dagmap.states import DagRunType
from dagmap.timetables import AssetTriggeredTimetable, DataInterval, dagrun_id_for, deserialize


@dataclass(frozen=True)
class AssetTriggeredRun:
    dag_id: str
    run_id: str
    logical_date: datetime
    data_interval: DataInterval


def satisfied(spec: DagSpec | None, queued_uris: Collection[str]) -> bool:
    """Whether the DAG is (still) scheduled on assets and its condition holds for the queued ones."""
    if spec is None or spec.timetable.get("type") != AssetTriggeredTimetable.type_name:
        return False
    timetable = deserialize(spec.timetable)
    assert isinstance(timetable, AssetTriggeredTimetable)
    return timetable.evaluate(set(queued_uris))


def plan_run(dag_id: str, now: datetime, span: tuple[datetime, datetime] | None) -> AssetTriggeredRun:
    """The run of a satisfied DAG: logical date now (as Airflow 2), data interval first..last event."""
    interval = DataInterval(*span) if span is not None else DataInterval.exact(now)
    return AssetTriggeredRun(dag_id, dagrun_id_for(DagRunType.ASSET_TRIGGERED, now), now, interval)


def satisfied_dag_ids(specs: Mapping[str, DagSpec], queued: Mapping[str, Collection[str]]) -> list[str]:
    """The DAGs among ``queued`` (``{dag_id: queued URIs}``) whose condition holds, sorted."""
    return sorted(dag_id for dag_id, uris in queued.items() if satisfied(specs.get(dag_id), uris))
