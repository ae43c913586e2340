"""Paged, set-based reads of assets and asset events behind the REST API: a page of assets with their consumers,
producers and latest event, a page of events with the runs they triggered. A page of N rows is a fixed number of
statements, never one per asset or event; the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dagmap.store.orm import (
    AssetEventRow,
    AssetRow,
    DagRunAssetEventRow,
    DagRunRow,
    DagScheduleAssetReferenceRow,
    TaskOutletAssetReferenceRow,
)
from dagmap.store.queries.browsing import Page, containing, paged_rows


class CreatedRun(NamedTuple):
    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None


class EventRecord(NamedTuple):
    id: int
    asset_id: int
    uri: str
    timestamp: datetime
    extra: dict[str, Any]
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int | None
    created_runs: list[CreatedRun]


class AssetRecord(NamedTuple):
    id: int
    uri: str
    name: str
    group: str
    extra: dict[str, Any]
    created_at: datetime
    consuming_dag_ids: list[str]
    producing_tasks: list[tuple[str, str]]
    """``(dag_id, task_id)``."""
    last_event: EventRecord | None


def _event_columns() -> tuple[Any, ...]:
    event = AssetEventRow
    return (
        event.id,
        event.asset_id,
        AssetRow.uri,
        event.timestamp,
        event.extra,
        event.source_dag_id,
        event.source_task_id,
        event.source_run_id,
        event.source_map_index,
    )


def _created_runs(session: Session, event_ids: Collection[int]) -> dict[int, list[CreatedRun]]:
    """The runs each event triggered: one query."""
    if not event_ids:
        return {}
    link = DagRunAssetEventRow
    rows = session.execute(
        select(link.event_id, DagRunRow.dag_id, DagRunRow.run_id, DagRunRow.state, DagRunRow.logical_date)
        .join(DagRunRow, DagRunRow.id == link.dag_run_id)
        .where(link.event_id.in_(sorted(event_ids)))
        .order_by(link.event_id, DagRunRow.dag_id, DagRunRow.id)
    )
    found: dict[int, list[CreatedRun]] = defaultdict(list)
    for event_id, dag_id, run_id, state, logical_date in rows:
        found[event_id].append(CreatedRun(dag_id, run_id, state, logical_date))
    return found


def _records(session: Session, rows: list[Any]) -> list[EventRecord]:
    created = _created_runs(session, [row[0] for row in rows])
    return [
        EventRecord(
            event_id,
            asset_id,
            uri,
            timestamp,
            dict(extra or {}),
            dag_id,
            task_id,
            run_id,
            map_index,
            created.get(event_id, []),
        )
        for event_id, asset_id, uri, timestamp, extra, dag_id, task_id, run_id, map_index in rows
    ]


def list_events(
    session: Session, *, limit: int, offset: int, uri: str | None = None, source_dag_id: str | None = None
) -> Page:
    """Events, newest first (of one asset, from one DAG), with the runs they triggered: two statements."""
    event = AssetEventRow
    statement = select(*_event_columns()).join(AssetRow, AssetRow.id == event.asset_id)
    if uri is not None:
        statement = statement.where(AssetRow.uri == uri)
    if source_dag_id is not None:
        statement = statement.where(event.source_dag_id == source_dag_id)
    page = paged_rows(session, statement.order_by(event.timestamp.desc(), event.id.desc()), limit, offset)
    return Page(_records(session, page.rows), page.total)


def run_events(session: Session, dag_id: str, run_id: str, *, limit: int, offset: int) -> Page:
    """A page of the events that triggered a run, oldest first, with the runs each triggered: two statements."""
    event, link = AssetEventRow, DagRunAssetEventRow
    statement = (
        select(*_event_columns())
        .join(AssetRow, AssetRow.id == event.asset_id)
        .join(link, link.event_id == event.id)
        .join(DagRunRow, DagRunRow.id == link.dag_run_id)
        .where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id)
        .order_by(event.timestamp, event.id)
    )
    page = paged_rows(session, statement, limit, offset)
    return Page(_records(session, page.rows), page.total)


def _latest_events(session: Session, asset_ids: Collection[int]) -> dict[int, EventRecord]:
    """The latest event of each asset (``row_number() OVER (PARTITION BY asset_id ...)``) with the runs it
    triggered: two statements."""
    if not asset_ids:
        return {}
    event = AssetEventRow
    position = func.row_number().over(partition_by=event.asset_id, order_by=(event.timestamp.desc(), event.id.desc()))
    ranked = (
        select(*_event_columns(), position.label("position"))
        .join(AssetRow, AssetRow.id == event.asset_id)
        .where(event.asset_id.in_(sorted(asset_ids)))
        .subquery()
    )
    columns = [column for column in ranked.c if column.name != "position"]
    rows = [tuple(row) for row in session.execute(select(*columns).where(ranked.c.position == 1))]
    return {record.asset_id: record for record in _records(session, rows)}


def list_assets(session: Session, *, limit: int, offset: int, uri_pattern: str | None = None) -> Page:
    """Assets by URI (those whose URI holds ``uri_pattern``), with consumers, producers and latest event: six
    statements whatever the page size."""
    statement = select(AssetRow.id, AssetRow.uri, AssetRow.name, AssetRow.group, AssetRow.extra, AssetRow.created_at)
    if uri_pattern:
        statement = statement.where(AssetRow.uri.like(containing(uri_pattern), escape="\\"))
    rows, total = paged_rows(session, statement.order_by(AssetRow.uri), limit, offset)
    ids = [row[0] for row in rows]
    if not ids:
        return Page([], total)
    consumers: dict[int, list[str]] = defaultdict(list)
    schedule = DagScheduleAssetReferenceRow
    for asset_id, dag_id in session.execute(
        select(schedule.asset_id, schedule.dag_id).where(schedule.asset_id.in_(ids)).order_by(schedule.dag_id)
    ):
        consumers[asset_id].append(dag_id)
    producers: dict[int, list[tuple[str, str]]] = defaultdict(list)
    outlet = TaskOutletAssetReferenceRow
    for asset_id, dag_id, task_id in session.execute(
        select(outlet.asset_id, outlet.dag_id, outlet.task_id)
        .where(outlet.asset_id.in_(ids))
        .order_by(outlet.dag_id, outlet.task_id)
    ):
        producers[asset_id].append((dag_id, task_id))
    latest = _latest_events(session, ids)
    records = [
        AssetRecord(
            asset_id,
            uri,
            name,
            group,
            dict(extra or {}),
            created_at,
            consumers.get(asset_id, []),
            producers.get(asset_id, []),
            latest.get(asset_id),
        )
        for asset_id, uri, name, group, extra, created_at in rows
    ]
    return Page(records, total)


def asset_exists(session: Session, uri: str) -> bool:
    return session.scalar(select(AssetRow.id).where(AssetRow.uri == uri)) is not None
