"""Assets: rows and references kept when specs are stored, events recorded when tries succeed, the queue of DAGs
to trigger and its consumption by the scheduler. Every function issues a fixed number of statements, whatever
the number of events (one per mapped instance) or DAGs.

Queue rows are the hand-off between workers and schedulers. A worker that records an event of asset A upserts
(A, D) for every DAG D scheduled on A, keeping the earliest ``created_at``; the row lock it takes lasts until its
events are committed. A scheduler locks the queue rows it consumes (``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
links the events of each asset from the row's ``created_at`` on, and deletes exactly those rows: an event is
either linked to a run or covered by a queue row, never lost, never linked twice by two schedulers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, case, delete, func, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from dagmap.model.spec import AssetSpec, DagSpec
from dagmap.store.orm import (
    AssetDagRunQueueRow,
    AssetEventRow,
    AssetRow,
    DagRow,
    DagRunAssetEventRow,
    DagRunRow,
    DagScheduleAssetReferenceRow,
    TaskOutletAssetReferenceRow,
)
from dagmap.store.queries._sql import chunked, insert_missing, utcnow
from dagmap.timetables.assets import iter_condition_assets

_ACTIVE_RUNS = ("queued", "running")


class NewAssetEvent(NamedTuple):
    """An event to record: asset ``uri`` was updated by a successful try of the source instance."""

    uri: str
    timestamp: datetime
    extra: dict[str, Any]
    source_dag_id: str
    source_run_id: str
    source_task_id: str
    source_map_index: int
    """In ``TaskInstanceKey`` order: ``NewAssetEvent(uri, timestamp, extra, *key)``."""
    name: str | None = None
    group: str = "asset"


class StoredAssetEvent(NamedTuple):
    """A recorded event, as the runner's context and the CLI show it."""

    id: int
    uri: str
    name: str
    group: str
    timestamp: datetime
    extra: dict[str, Any]
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int | None
    source_run: SourceRun | None = None
    """The run that produced it (``triggering_events`` only; None when that run was deleted)."""


class SourceRun(NamedTuple):
    """The producing run of an event, as Airflow's ``event.source_dag_run`` shows it."""

    run_type: str
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    conf: dict[str, Any]
    start_date: datetime | None


class QueuedAsset(NamedTuple):
    asset_id: int
    uri: str
    created_at: datetime


# --- asset rows and references (kept when specs are stored) -------------------------------------------------


def _schedule_assets(spec: DagSpec) -> list[AssetSpec]:
    if spec.timetable.get("type") != "asset":
        return []
    return [AssetSpec.model_validate(value) for value in iter_condition_assets(spec.timetable["condition"])]


def ensure_assets(session: Session, assets: Iterable[AssetSpec | NewAssetEvent], now: datetime) -> dict[str, int]:
    """``{uri: asset id}``, creating the assets not known yet (the first definition seen names them)."""
    wanted: dict[str, dict[str, Any]] = {}
    for asset in assets:
        if asset.uri not in wanted:
            extra = asset.extra if isinstance(asset, AssetSpec) else {}
            wanted[asset.uri] = {
                "uri": asset.uri,
                "name": asset.name or asset.uri,
                "group": asset.group,
                "extra": extra,
                "created_at": now,
            }
    if not wanted:
        return {}
    found = _asset_ids(session, wanted)
    missing = [row for uri, row in sorted(wanted.items()) if uri not in found]
    if missing:
        insert_missing(session, AssetRow, "uri", missing)
        found = _asset_ids(session, wanted)
    return found


def _asset_ids(session: Session, uris: Collection[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunked(sorted(uris), 500):
        found.update(
            (uri, asset_id)
            for uri, asset_id in session.execute(select(AssetRow.uri, AssetRow.id).where(AssetRow.uri.in_(chunk)))
        )
    return found


def sync_references(session: Session, spec: DagSpec, now: datetime | None = None) -> None:
    """The DAG's schedule and outlet references match its spec; queue rows of assets it is no longer
    scheduled on go away. A DAG without assets costs two DELETEs (of nothing)."""
    now = now or utcnow()
    scheduled = _schedule_assets(spec)
    outlets = [(task.task_id, asset) for task in spec.tasks for asset in task.outlets]
    ids = ensure_assets(session, [*scheduled, *(asset for _task, asset in outlets)], now)
    scheduled_ids = sorted({ids[asset.uri] for asset in scheduled})
    session.execute(delete(DagScheduleAssetReferenceRow).where(DagScheduleAssetReferenceRow.dag_id == spec.dag_id))
    session.execute(delete(TaskOutletAssetReferenceRow).where(TaskOutletAssetReferenceRow.dag_id == spec.dag_id))
    stale_queue = delete(AssetDagRunQueueRow).where(AssetDagRunQueueRow.target_dag_id == spec.dag_id)
    if scheduled_ids:
        stale_queue = stale_queue.where(AssetDagRunQueueRow.asset_id.not_in(scheduled_ids))
        _insert_ignoring_existing(
            session,
            DagScheduleAssetReferenceRow,
            [{"asset_id": i, "dag_id": spec.dag_id, "created_at": now} for i in scheduled_ids],
        )
    session.execute(stale_queue)
    pairs = sorted({(ids[asset.uri], task_id) for task_id, asset in outlets})
    if pairs:
        _insert_ignoring_existing(
            session,
            TaskOutletAssetReferenceRow,
            [{"asset_id": i, "dag_id": spec.dag_id, "task_id": t, "created_at": now} for i, t in pairs],
        )


def _dialect_insert(session: Session, row_class: type[Any]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - dagmap supports these two
        raise NotImplementedError(dialect)
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(cast(Table, row_class.__table__))


def _insert_ignoring_existing(session: Session, row_class: type[Any], rows: list[dict[str, Any]]) -> None:
    """One executemany; a row another process inserted meanwhile (two DAG processors) is left alone."""
    session.execute(_dialect_insert(session, row_class).on_conflict_do_nothing(), rows)


# --- events (the runner's finish path) -----------------------------------------------------------------------


def record_events(session: Session, events: Sequence[NewAssetEvent]) -> int:
    """Insert the events and queue every DAG scheduled on their assets: five statements, however many events."""
    if not events:
        return 0
    now = min(event.timestamp for event in events)
    ids = ensure_assets(session, events, now)
    session.execute(
        insert(cast(Table, AssetEventRow.__table__)),
        [
            {
                "asset_id": ids[e.uri],
                "timestamp": e.timestamp,
                "extra": e.extra,
                "source_dag_id": e.source_dag_id,
                "source_task_id": e.source_task_id,
                "source_run_id": e.source_run_id,
                "source_map_index": e.source_map_index,
            }
            for e in events
        ],
    )
    earliest: dict[int, datetime] = {}
    for event in events:
        asset_id = ids[event.uri]
        earliest[asset_id] = min(earliest.get(asset_id, event.timestamp), event.timestamp)
    ref = DagScheduleAssetReferenceRow
    targets = session.execute(
        select(ref.asset_id, ref.dag_id).where(ref.asset_id.in_(sorted(earliest))).order_by(ref.asset_id, ref.dag_id)
    ).all()
    rows = [{"asset_id": a, "target_dag_id": d, "created_at": earliest[a]} for a, d in targets]
    _queue(session, rows)
    return len(events)


def _queue(session: Session, rows: list[dict[str, Any]]) -> None:
    """Upsert queue rows in key order (two workers never deadlock), keeping the earliest ``created_at``."""
    if not rows:
        return
    table = cast(Table, AssetDagRunQueueRow.__table__)
    statement = _dialect_insert(session, AssetDagRunQueueRow)
    statement = statement.on_conflict_do_update(
        index_elements=["asset_id", "target_dag_id"],
        set_={
            "created_at": case(
                (statement.excluded.created_at < table.c.created_at, statement.excluded.created_at),
                else_=table.c.created_at,
            )
        },
    )
    session.execute(statement, rows)


# --- the scheduler's side ---------------------------------------------------------------------------------------


def queued_dag_ids(session: Session, *, limit: int) -> list[str]:
    """Active, unpaused DAGs with queue rows and below ``max_active_runs``, oldest queue first. On PostgreSQL
    their ``dag`` rows are locked ``FOR UPDATE SKIP LOCKED``: two schedulers never consume one DAG's queue."""
    queue = AssetDagRunQueueRow
    first = (
        select(queue.target_dag_id.label("dag_id"), func.min(queue.created_at).label("since"))
        .group_by(queue.target_dag_id)
        .subquery()
    )
    active = (
        select(func.count())
        .where(DagRunRow.dag_id == DagRow.dag_id, DagRunRow.state.in_(_ACTIVE_RUNS))
        .correlate(DagRow)
        .scalar_subquery()
    )
    statement = (
        select(DagRow.dag_id)
        .join(first, first.c.dag_id == DagRow.dag_id)
        .where(DagRow.is_active.is_(True), DagRow.is_paused.is_(False), active < DagRow.max_active_runs)
        .order_by(first.c.since, DagRow.dag_id)
        .limit(limit)
        .with_for_update(of=DagRow, skip_locked=True)
    )
    return list(session.scalars(statement))


def queued_assets(session: Session, dag_ids: Collection[str]) -> dict[str, list[QueuedAsset]]:
    """The queue rows of these DAGs, locked (``SKIP LOCKED``: a row a worker is updating right now waits for
    the next loop)."""
    if not dag_ids:
        return {}
    queue = AssetDagRunQueueRow
    rows = session.execute(
        select(queue.target_dag_id, queue.asset_id, AssetRow.uri, queue.created_at)
        .join(AssetRow, AssetRow.id == queue.asset_id)
        .where(queue.target_dag_id.in_(sorted(dag_ids)))
        .order_by(queue.target_dag_id, queue.asset_id)
        .with_for_update(of=queue, skip_locked=True)
    ).all()
    found: dict[str, list[QueuedAsset]] = defaultdict(list)
    for dag_id, asset_id, uri, created_at in rows:
        found[dag_id].append(QueuedAsset(asset_id, uri, created_at))
    return dict(found)


def _consumed(consumed: Mapping[str, Sequence[QueuedAsset]]) -> Any:
    pairs = [(item.asset_id, dag_id) for dag_id, items in sorted(consumed.items()) for item in items]
    return tuple_(AssetDagRunQueueRow.asset_id, AssetDagRunQueueRow.target_dag_id).in_(pairs)


def _events_of_queue() -> Any:
    queue, event = AssetDagRunQueueRow, AssetEventRow
    return and_(event.asset_id == queue.asset_id, event.timestamp >= queue.created_at)


def event_spans(
    session: Session, consumed: Mapping[str, Sequence[QueuedAsset]]
) -> dict[str, tuple[datetime, datetime]]:
    """``{dag_id: (first, last event timestamp)}`` of the events these queue rows cover: one query."""
    if not consumed:
        return {}
    queue, event = AssetDagRunQueueRow, AssetEventRow
    rows = session.execute(
        select(queue.target_dag_id, func.min(event.timestamp), func.max(event.timestamp))
        .join(event, _events_of_queue())
        .where(_consumed(consumed))
        .group_by(queue.target_dag_id)
    ).all()
    return {dag_id: (first, last) for dag_id, first, last in rows if first is not None}


def consume(session: Session, consumed: Mapping[str, Sequence[QueuedAsset]], runs: Mapping[str, int]) -> None:
    """Link the events these queue rows cover to the new run of each DAG (``{dag_id: dag_run.id}``), then
    delete exactly those rows: two statements."""
    consumed = {dag_id: items for dag_id, items in consumed.items() if dag_id in runs}
    if not consumed:
        return
    queue, event = AssetDagRunQueueRow, AssetEventRow
    selected = (
        select(DagRunRow.id, event.id)
        .join(queue, queue.target_dag_id == DagRunRow.dag_id)
        .join(event, _events_of_queue())
        .where(DagRunRow.id.in_(sorted(runs.values())), _consumed(consumed))
    )
    session.execute(
        insert(cast(Table, DagRunAssetEventRow.__table__)).from_select(["dag_run_id", "event_id"], selected)
    )
    session.execute(delete(queue).where(_consumed(consumed)).execution_options(synchronize_session=False))


# --- reads: the runner's context and the CLI ----------------------------------------------------------------------


def _event_columns() -> tuple[Any, ...]:
    event = AssetEventRow
    return (
        event.id,
        AssetRow.uri,
        AssetRow.name,
        AssetRow.group,
        event.timestamp,
        event.extra,
        event.source_dag_id,
        event.source_task_id,
        event.source_run_id,
        event.source_map_index,
    )


def triggering_events(session: Session, dag_id: str, run_id: str) -> list[StoredAssetEvent]:
    """The events that triggered a run, oldest first, with their source runs: one query."""
    link, event = DagRunAssetEventRow, AssetEventRow
    source = aliased(DagRunRow)
    rows = session.execute(
        select(
            *_event_columns(),
            source.id,
            source.run_type,
            source.logical_date,
            source.data_interval_start,
            source.data_interval_end,
            source.conf,
            source.start_date,
        )
        .join(AssetRow, AssetRow.id == event.asset_id)
        .join(link, link.event_id == event.id)
        .join(DagRunRow, DagRunRow.id == link.dag_run_id)
        .outerjoin(source, and_(source.dag_id == event.source_dag_id, source.run_id == event.source_run_id))
        .where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id)
        .order_by(event.timestamp, event.id)
    ).all()
    found = []
    for row in rows:
        own, (source_id, *run) = row[:10], row[10:]
        run[4] = dict(run[4] or {})
        found.append(StoredAssetEvent(*own, source_run=SourceRun(*run) if source_id is not None else None))
    return found


def events_of(session: Session, uri: str, *, limit: int) -> list[StoredAssetEvent]:
    """The latest ``limit`` events of an asset, newest first."""
    event = AssetEventRow
    rows = session.execute(
        select(*_event_columns())
        .join(AssetRow, AssetRow.id == event.asset_id)
        .where(AssetRow.uri == uri)
        .order_by(event.timestamp.desc(), event.id.desc())
        .limit(limit)
    ).all()
    return [StoredAssetEvent(*row) for row in rows]


class AssetSummary(NamedTuple):
    uri: str
    name: str
    group: str
    scheduled_dag_ids: list[str]
    producing_tasks: list[tuple[str, str]]
    """``(dag_id, task_id)``."""
    last_event_at: datetime | None
    events: int


def summaries(session: Session) -> list[AssetSummary]:
    """Every asset with its consumers, producers and latest event: four queries."""
    assets = session.execute(select(AssetRow.id, AssetRow.uri, AssetRow.name, AssetRow.group).order_by(AssetRow.uri))
    schedule: dict[int, list[str]] = defaultdict(list)
    for asset_id, dag_id in session.execute(
        select(DagScheduleAssetReferenceRow.asset_id, DagScheduleAssetReferenceRow.dag_id).order_by(
            DagScheduleAssetReferenceRow.dag_id
        )
    ):
        schedule[asset_id].append(dag_id)
    producers: dict[int, list[tuple[str, str]]] = defaultdict(list)
    ref = TaskOutletAssetReferenceRow
    for asset_id, dag_id, task_id in session.execute(
        select(ref.asset_id, ref.dag_id, ref.task_id).order_by(ref.dag_id, ref.task_id)
    ):
        producers[asset_id].append((dag_id, task_id))
    latest = {
        asset_id: (last, count)
        for asset_id, last, count in session.execute(
            select(AssetEventRow.asset_id, func.max(AssetEventRow.timestamp), func.count()).group_by(
                AssetEventRow.asset_id
            )
        )
    }
    return [
        AssetSummary(uri, name, group, schedule[asset_id], producers[asset_id], *latest.get(asset_id, (None, 0)))
        for asset_id, uri, name, group in assets
    ]


def asset_exists(session: Session, uri: str) -> bool:
    return session.scalar(select(AssetRow.id).where(AssetRow.uri == uri)) is not None
