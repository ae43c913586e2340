"""Which scheduled runs a DAG gets now, from its timetable (pure: no database, no clock of its own).

The stored ``next_dagrun*`` fields only say *when to look*; what to create is recomputed here from the last
automated run's data interval, the DAG's start/end dates, ``catchup`` and ``now`` (so that a DAG unpaused
after a long pause with ``catchup=False`` gets only the latest interval, as in Airflow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dagmap.model.spec import DagSpec
from dagmap.timetables import DagRunInfo, DataInterval, TimeRestriction, Timetable, deserialize

MAX_RUNS_PER_DAG_PER_LOOP = 16
"""A DAG catching up creates at most this many runs per scheduler loop (and never beyond max_active_runs)."""


@dataclass(frozen=True)
class RunPlan:
    create: list[DagRunInfo] = field(default_factory=list)
    """The runs to create now, oldest first."""
    next: DagRunInfo | None = None
    """The automated run after those (None: the timetable has no more)."""


def timetable_of(spec: DagSpec) -> Timetable:
    return deserialize(spec.timetable)


def restriction_of(spec: DagSpec) -> TimeRestriction:
    return TimeRestriction(earliest=spec.start_date, latest=spec.end_date, catchup=spec.catchup)


def active_runs_limit(spec: DagSpec, timetable: Timetable) -> int:
    """``max_active_runs``, lowered by timetables that allow fewer (``@continuous``: one)."""
    limit = spec.max_active_runs
    if timetable.active_runs_limit is not None:
        limit = min(limit, timetable.active_runs_limit)
    return limit


def next_run(spec: DagSpec, last: DataInterval | None, now: datetime) -> DagRunInfo | None:
    """The automated run after ``last`` (None: the first one), or None if the timetable has no more."""
    timetable = timetable_of(spec)
    if not timetable.can_be_scheduled:
        return None
    return timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction_of(spec), now=now)


def plan_runs(
    spec: DagSpec,
    last: DataInterval | None,
    *,
    active: int,
    now: datetime,
    max_per_loop: int = MAX_RUNS_PER_DAG_PER_LOOP,
) -> RunPlan:
    """The runs due at ``now`` that ``max_active_runs`` still allows (``active`` runs are queued or running)."""
    timetable = timetable_of(spec)
    if not timetable.can_be_scheduled:
        return RunPlan()
    restriction = restriction_of(spec)
    room = min(active_runs_limit(spec, timetable) - active, max_per_loop)
    create: list[DagRunInfo] = []
    info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction, now=now)
    while info is not None and info.run_after <= now and len(create) < room:
        if create and info.logical_date <= create[-1].logical_date:
            break  # a timetable that does not move forward: never loop
        create.append(info)
        info = timetable.next_dagrun_info(
            last_automated_data_interval=info.data_interval, restriction=restriction, now=now
        )
    return RunPlan(create, info)
