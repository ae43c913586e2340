"""Read use-cases of the REST API (``dagmap.api``): paged DAGs, runs and task instances, one instance with its
tries, log and XComs (the summaries are in ``api_summaries``). Each reads the stored spec and rows, never a DAG
file; each raises the ``dagmap.errors`` class that names what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dagmap.errors import DagmapError, DagNotFound, DagRunNotFound, TaskInstanceNotFound, TaskNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import DagSpec
from dagmap.services.dags import get_spec
from dagmap.services.inspect_logs import LogStatus, find_log, index_spans
from dagmap.states import DagRunState, TaskInstanceState
from dagmap.store.queries import Session, browsing, dag_runs, management, rendered
from dagmap.store.queries.browsing import Page

# --- DAGs and runs ---------------------------------------------------------------------------------------


MAX_LATEST_RUNS = 100


@dataclass(frozen=True)
class DagPage:
    """A page of ``dag`` rows with what the list shows beside each: the asset condition of the DAGs scheduled on
    assets and, when asked for, each DAG's latest runs."""

    rows: list[Any]
    total: int
    asset_expressions: dict[str, dict[str, Any]]
    latest_runs: dict[str, list[browsing.LatestRun]] | None = None


def get_dag(session: Session, dag_id: str) -> Any:
    """The DAG's ``dag`` row (DagNotFound when the DAG processor has not stored it)."""
    row = browsing.get_dag(session, dag_id)
    if row is None:
        raise DagNotFound("is not in the database (has the DAG processor parsed it?)", dag_id=dag_id)
    return row


def dag_detail(session: Session, dag_id: str) -> DagPage:
    """One DAG as a page of one (with its asset condition)."""
    row = get_dag(session, dag_id)
    return DagPage([row], 1, browsing.asset_conditions(session, [dag_id]))


def list_dags(
    session: Session,
    *,
    limit: int,
    offset: int,
    paused: bool | None = None,
    dag_id_pattern: str | None = None,
    tags: Iterable[str] = (),
    latest_runs: int = 0,
) -> DagPage:
    """A page of DAGs by id; with ``latest_runs=N`` each DAG's latest N runs too. A fixed number of queries
    whatever the number of DAGs and runs."""
    if not 0 <= latest_runs <= MAX_LATEST_RUNS:
        raise DagmapError(
            f"with_latest_runs must be 0 to {MAX_LATEST_RUNS}, not {latest_runs}", argument="with_latest_runs"
        )
    page = browsing.list_dags(
        session, limit=limit, offset=offset, paused=paused, dag_id_pattern=dag_id_pattern, tags=list(tags)
    )
    dag_ids = [row.dag_id for row in page.rows]
    runs = browsing.latest_runs(session, dag_ids, latest_runs) if latest_runs else None
    return DagPage(page.rows, page.total, browsing.asset_conditions(session, dag_ids), runs)


def _known(session: Session, dag_id: str) -> None:
    if not management.dag_is_known(session, dag_id):
        raise DagNotFound(dag_id=dag_id)


def run_states(values: Iterable[str]) -> list[str]:
    """Run states given as text, checked."""
    found = []
    for value in values:
        try:
            found.append(DagRunState(value).value)
        except ValueError:
            known = ", ".join(s.value for s in DagRunState)
            raise DagmapError(f"unknown run state {value!r} (use one of {known})", argument="state") from None
    return found


def list_runs(session: Session, dag_id: str, *, limit: int, offset: int, states: Iterable[str] = ()) -> Page:
    """The DAG's runs, newest logical date first."""
    _known(session, dag_id)
    return browsing.list_runs(session, dag_id, limit=limit, offset=offset, states=run_states(states) or None)


def get_run(session: Session, dag_id: str, run_id: str) -> Any:
    """The ``dag_run`` row (DagNotFound, DagRunNotFound)."""
    _known(session, dag_id)
    found = dag_runs.find_dag_runs(session, [(dag_id, run_id)])
    if not found:
        raise DagRunNotFound(f"no run {run_id!r}", dag_id=dag_id)
    return found[0]


# --- task instances ----------------------------------------------------------------------------------------

NO_STATUS = ("none", "no_status")


def instance_states(values: Iterable[str]) -> list[TaskInstanceState | None] | None:
    """Instance states given as text (``none`` for no status), checked; None when none are given."""
    found: list[TaskInstanceState | None] = []
    for value in values:
        if value in NO_STATUS:
            found.append(None)
            continue
        try:
            found.append(TaskInstanceState(value))
        except ValueError:
            known = ", ".join(["none", *(s.value for s in TaskInstanceState)])
            raise DagmapError(f"unknown task instance state {value!r} (use one of {known})", argument="state") from None
    return found or None


def _task(spec: DagSpec, task_id: str) -> Any:
    task = spec.tasks_by_id.get(task_id)
    if task is None:
        raise TaskNotFound(f"no task {task_id!r} in DAG {spec.dag_id!r}", dag_id=spec.dag_id, task_id=task_id)
    return task


def list_instances(
    session: Session,
    dag_id: str,
    run_id: str,
    *,
    limit: int,
    offset: int,
    task_id: str | None = None,
    states: Iterable[str] = (),
) -> Page:
    """One page of the run's instances (mapped ones included), by task then map index, with their total: one
    statement, whatever the number of instances."""
    get_run(session, dag_id, run_id)
    wanted = instance_states(states)
    return browsing.list_instances(session, dag_id, run_id, limit=limit, offset=offset, task_id=task_id, states=wanted)


def list_mapped(
    session: Session, dag_id: str, run_id: str, task_id: str, *, limit: int, offset: int, states: Iterable[str] = ()
) -> Page:
    """One page of a mapped task's instances by map index (TaskNotFound when the task is not mapped)."""
    spec = get_spec(session, dag_id)
    task = _task(spec, task_id)
    if not task.is_mapped:
        raise TaskNotFound("is not mapped: read it at taskInstances/{task_id}", dag_id=dag_id, task_id=task_id)
    return list_instances(session, dag_id, run_id, limit=limit, offset=offset, task_id=task_id, states=states)


def instances_by_key(session: Session, keys: Iterable[TaskInstanceKey]) -> list[Any]:
    """The ``task_instance`` rows of these keys (all of one DAG), read run by run: one query per DAG."""
    wanted = set(keys)
    if not wanted:
        return []
    dag_ids = {key.dag_id for key in wanted}
    rows: list[Any] = []
    for dag_id in sorted(dag_ids):
        run_ids = {key.run_id for key in wanted if key.dag_id == dag_id}
        rows += [
            row
            for row in browsing.instances_of_runs(session, dag_id, run_ids)
            if TaskInstanceKey(row.dag_id, row.run_id, row.task_id, row.map_index) in wanted
        ]
    return rows


@dataclass(frozen=True)
class InstanceDetail:
    row: Any
    """The ``task_instance`` row."""
    rendered_fields: dict[str, Any] | None = None


def get_instance(session: Session, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> InstanceDetail:
    """One instance with its rendered fields. For a mapped task at map index -1 once it has expanded:
    TaskNotFound saying how many instances it has (read them with listMapped)."""
    get_run(session, dag_id, run_id)
    page = browsing.list_instances(session, dag_id, run_id, limit=1, offset=0, task_id=task_id)
    if not page.total:
        _task(get_spec(session, dag_id), task_id)
        raise TaskInstanceNotFound(f"has no instance in run {run_id!r}", dag_id=dag_id, task_id=task_id)
    from dagmap.store.queries import task_instances

    row = task_instances.get_task_instance(session, TaskInstanceKey(dag_id, run_id, task_id, map_index))
    if row is None:
        if map_index == -1:
            raise TaskNotFound(
                f"is mapped into {page.total} instances in run {run_id!r}: read them with listMapped",
                dag_id=dag_id,
                task_id=task_id,
            )
        indexes = [index for index, _ in _indexes(session, dag_id, run_id, task_id)]
        has = f"it has {len(indexes)}: {index_spans(indexes)}" if indexes else "it is not expanded yet"
        raise TaskInstanceNotFound(
            f"has no map index {map_index} in run {run_id!r} ({has})",
            dag_id=dag_id,
            task_id=task_id,
            map_index=map_index,
        )
    fields = rendered.get(session, dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)
    return InstanceDetail(row, fields)


def _indexes(session: Session, dag_id: str, run_id: str, task_id: str) -> list[tuple[int, str | None]]:
    from dagmap.store.queries import inspect

    return [(index, state) for index, state in inspect.map_indexes(session, dag_id, run_id, task_id) if index >= 0]


@dataclass(frozen=True)
class TryInfo:
    try_number: int
    state: str | None
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    hostname: str | None


def tries(session: Session, dag_id: str, run_id: str, task_id: str, map_index: int) -> list[TryInfo]:
    """Each try of the instance: the recorded ended tries, then the current one when it is not recorded yet."""
    row = get_instance(session, dag_id, run_id, task_id, map_index).row
    found = [TryInfo(*record) for record in browsing.ended_tries(session, dag_id, run_id, task_id, map_index)]
    recorded = {item.try_number for item in found}
    if row.try_number >= 1 and row.try_number not in recorded:
        found.append(TryInfo(row.try_number, row.state, row.start_date, row.end_date, row.duration, row.hostname))
    return found


@dataclass(frozen=True)
class LogChunk:
    content: str
    next_offset: int


def read_log(
    session: Session, dag_id: str, run_id: str, task_id: str, try_number: int, *, map_index: int | None, offset: int
) -> LogChunk:
    """The try's log from byte ``offset``: empty while the try has not started or its file is not written yet
    (poll again); TaskInstanceNotFound naming the try when it never ran or its file is not here."""
    get_run(session, dag_id, run_id)
    if offset < 0:
        raise DagmapError(f"offset must be 0 or more, not {offset}", argument="offset")
    target = find_log(session, dag_id, run_id, task_id, map_index=map_index, try_number=try_number)
    status = target.status()
    if status in (LogStatus.NOT_STARTED, LogStatus.NOT_WRITTEN_YET):
        return LogChunk("", offset)
    if status is not LogStatus.WRITTEN:
        raise TaskInstanceNotFound(
            target.explain(status), dag_id=dag_id, task_id=task_id, map_index=target.key.map_index
        )
    with target.path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    data = data[: _complete_utf8(data)]
    return LogChunk(data.decode("utf-8", errors="replace"), offset + len(data))


def _complete_utf8(data: bytes) -> int:
    """How many leading bytes end on a character boundary (a file being written may end mid-character)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0b1100_0000 == 0b1000_0000:  # a continuation byte: look further back
            continue
        if byte & 0b1000_0000 == 0:  # ASCII
            return len(data)
        needed = 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4 if byte >> 3 == 0b11110 else 1
        return len(data) if back >= needed else len(data) - back
    return len(data)


@dataclass(frozen=True)
class XComEntry:
    key: str
    map_index: int
    timestamp: datetime
    value: Any


def xcom_entries(session: Session, dag_id: str, run_id: str, task_id: str, map_index: int | None) -> list[XComEntry]:
    """The XComs of one instance (every instance of the task when ``map_index`` is None), values decoded (from
    the object store too) into plain JSON."""
    from dagmap.xcom.backends import xcom_storage_from_settings

    get_run(session, dag_id, run_id)
    _task(get_spec(session, dag_id), task_id)
    storage = xcom_storage_from_settings()
    return [
        XComEntry(row.key, row.map_index, row.timestamp, _jsonable(storage.decode(row.value)))
        for row in browsing.xcom_rows(session, dag_id, run_id, task_id, map_index)
    ]


def _jsonable(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return repr(value)
