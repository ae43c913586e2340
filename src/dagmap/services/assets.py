"""Asset use-cases of the CLI and the REST API: the assets with their consumers, producers and latest event, the
events (of one asset, from one DAG) with the runs they triggered, and the events that triggered a run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dagmap.errors import AssetNotFound, DagmapError
from dagmap.store.queries import Session, asset_browsing, assets
from dagmap.store.queries.browsing import Page


@dataclass(frozen=True)
class AssetInfo:
    uri: str
    name: str
    group: str
    scheduled_dags: list[str]
    """DAGs scheduled on (a condition naming) the asset."""
    producing_tasks: list[str]
    """``dag_id.task_id`` of the tasks with the asset in their outlets."""
    last_event_at: datetime | None
    events: int

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "name": self.name,
            "group": self.group,
            "scheduled_dags": self.scheduled_dags,
            "producing_tasks": self.producing_tasks,
            "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
            "events": self.events,
        }


def event_to_json(event: assets.StoredAssetEvent) -> dict[str, Any]:
    """An event as ``assets events --json`` prints it (the API's shape is ``dagmap.api.schemas.AssetEvent``)."""
    return {
        "uri": event.uri,
        "timestamp": event.timestamp.isoformat(),
        "extra": event.extra,
        "source_dag_id": event.source_dag_id,
        "source_task_id": event.source_task_id,
        "source_run_id": event.source_run_id,
        "source_map_index": event.source_map_index,
    }


def list_assets(session: Session) -> list[AssetInfo]:
    """Every known asset (defined by a stored DAG, or updated by a task), by URI."""
    return [
        AssetInfo(
            s.uri,
            s.name,
            s.group,
            s.scheduled_dag_ids,
            [f"{dag_id}.{task_id}" for dag_id, task_id in s.producing_tasks],
            s.last_event_at,
            s.events,
        )
        for s in assets.summaries(session)
    ]


def asset_events(session: Session, uri: str, *, limit: int = 25) -> list[assets.StoredAssetEvent]:
    """The latest ``limit`` events of the asset, newest first; an unknown URI is an error."""
    if limit < 1:
        raise DagmapError(f"--limit must be at least 1, not {limit}", argument="limit")
    if not assets.asset_exists(session, uri):
        raise DagmapError(f"no asset with URI {uri!r} (see `dagmap assets list`)", argument="uri")
    return assets.events_of(session, uri, limit=limit)


# --- the REST API: pages of assets and events (a fixed number of statements per page) -------------------------


def asset_page(session: Session, *, limit: int, offset: int, uri_pattern: str | None = None) -> Page:
    """Assets by URI (``AssetRecord`` rows), those whose URI holds ``uri_pattern``."""
    return asset_browsing.list_assets(session, limit=limit, offset=offset, uri_pattern=uri_pattern)


def event_page(
    session: Session, *, limit: int, offset: int, uri: str | None = None, source_dag_id: str | None = None
) -> Page:
    """Events newest first (``EventRecord`` rows); an unknown asset URI is AssetNotFound."""
    if uri is not None and not asset_browsing.asset_exists(session, uri):
        raise AssetNotFound(f"no asset with URI {uri!r}", argument="asset_uri")
    return asset_browsing.list_events(session, limit=limit, offset=offset, uri=uri, source_dag_id=source_dag_id)


def upstream_events(session: Session, dag_id: str, run_id: str, *, limit: int, offset: int) -> Page:
    """A page of the events that triggered the run (``EventRecord`` rows), oldest first; none for a run not
    triggered by assets."""
    from dagmap.services.api_views import get_run

    get_run(session, dag_id, run_id)
    return asset_browsing.run_events(session, dag_id, run_id, limit=limit, offset=offset)
