"""``/health`` (open even with a token), ``/version``, ``/importErrors``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

from dagmap.api import schemas
from dagmap.api.deps import PagingParams, reading
from dagmap.services import api_summaries

open_router = APIRouter(tags=["monitoring"])
router = APIRouter(tags=["monitoring"])


@open_router.get("/health")
def get_health() -> schemas.Health:
    return schemas.Health.model_validate(api_summaries.health())


@router.get("/version")
def get_version() -> schemas.Version:
    try:
        found = version("dagmap")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        found = "unknown"
    return schemas.Version(version=found)


@router.get("/importErrors")
def get_import_errors(paging: PagingParams) -> schemas.ImportErrorCollection:
    with reading() as session:
        page = api_summaries.list_import_errors(session, limit=paging.limit, offset=paging.offset)
        items = [
            schemas.ImportErrorEntry(
                import_error_id=row.id, filename=row.filename, stack_trace=row.error, timestamp=row.timestamp
            )
            for row in page.rows
        ]
    return schemas.ImportErrorCollection(import_errors=items, total_entries=page.total)
