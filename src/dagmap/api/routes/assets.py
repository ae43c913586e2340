"""``/assets``, ``/assets/events`` and a run's ``upstreamAssetEvents`` (Airflow 2's datasets, named as in
Airflow 3)."""

from __future__ import annotations

from fastapi import APIRouter

from dagmap.api import schemas
from dagmap.api.deps import PagingParams, reading
from dagmap.services import assets

router = APIRouter(tags=["assets"])


@router.get("/assets")
def list_assets(paging: PagingParams, uri_pattern: str | None = None) -> schemas.AssetCollection:
    with reading() as session:
        page = assets.asset_page(session, limit=paging.limit, offset=paging.offset, uri_pattern=uri_pattern)
    return schemas.AssetCollection(assets=[schemas.Asset.of(row) for row in page.rows], total_entries=page.total)


@router.get("/assets/events")
def list_asset_events(
    paging: PagingParams, asset_uri: str | None = None, source_dag_id: str | None = None
) -> schemas.AssetEventCollection:
    """Events newest first."""
    with reading() as session:
        page = assets.event_page(
            session, limit=paging.limit, offset=paging.offset, uri=asset_uri, source_dag_id=source_dag_id
        )
    return schemas.AssetEventCollection(
        asset_events=[schemas.AssetEvent.of(row) for row in page.rows], total_entries=page.total
    )


@router.get("/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamAssetEvents")
def upstream_asset_events(dag_id: str, dag_run_id: str, paging: PagingParams) -> schemas.AssetEventCollection:
    """The events that triggered an asset-triggered run, oldest first."""
    with reading() as session:
        page = assets.upstream_events(session, dag_id, dag_run_id, limit=paging.limit, offset=paging.offset)
    return schemas.AssetEventCollection(
        asset_events=[schemas.AssetEvent.of(row) for row in page.rows], total_entries=page.total
    )
