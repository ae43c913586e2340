"""``/pools``: list, read, create, change, delete pools, with the slots their instances hold."""

from __future__ import annotations

from fastapi import APIRouter, Response

from dagmap.api import schemas
from dagmap.api.deps import PagingParams, reading, transaction
from dagmap.errors import DagmapError
from dagmap.services import api_actions, pools
from dagmap.store.queries import Session

router = APIRouter(tags=["pools"])


def _pool(info: pools.PoolInfo, usage: dict[str, dict[str, int]]) -> schemas.Pool:
    held = usage.get(info.name, {})
    return schemas.Pool(
        name=info.name,
        slots=info.slots,
        description=info.description,
        occupied_slots=info.occupied,
        running_slots=held.get("running", 0),
        queued_slots=held.get("queued", 0),
        open_slots=info.open,
    )


def _one(session: Session, name: str) -> schemas.Pool:
    return _pool(pools.get_pool(session, name), api_actions.pool_usage(session))


@router.get("/pools")
def list_pools(paging: PagingParams) -> schemas.PoolCollection:
    with reading() as session:
        found = pools.list_pools(session)
        usage = api_actions.pool_usage(session)
    page = found[paging.offset : paging.offset + paging.limit]
    return schemas.PoolCollection(pools=[_pool(info, usage) for info in page], total_entries=len(found))


@router.post("/pools")
def create_pool(body: schemas.PoolBody) -> schemas.Pool:
    with transaction() as session:
        info = api_actions.create_pool(session, body.name, body.slots, body.description)
        return _one(session, info.name)


@router.get("/pools/{name}")
def get_pool(name: str) -> schemas.Pool:
    with reading() as session:
        return _one(session, name)


@router.patch("/pools/{name}")
def patch_pool(name: str, body: schemas.PoolPatch) -> schemas.Pool:
    if body.name is not None and body.name != name:
        raise DagmapError(f"pool {name!r} cannot be renamed to {body.name!r}", argument="name")
    with transaction() as session:
        api_actions.update_pool(session, name, slots=body.slots, description=body.description)
        return _one(session, name)


@router.delete("/pools/{name}", status_code=204)
def delete_pool(name: str) -> Response:
    with transaction() as session:
        pools.delete_pool(session, name)
    return Response(status_code=204)
