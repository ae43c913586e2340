"""Task instances of a run (paged, mapped ones included), one instance, its tries, log and XComs, marking it,
and ``/dags/{dag_id}/clearTaskInstances``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from dagmap.api import schemas
from dagmap.api.deps import MAX_OFFSET, MapIndex, MapIndexQuery, PagingParams, TryNumber, reading, transaction
from dagmap.services import api_actions, api_views

router = APIRouter(tags=["task instances"])
INSTANCES = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"
States = Annotated[list[str] | None, Query(description="Only these states (repeatable; 'none': no status).")]


def _collection(page: Any) -> schemas.TaskInstanceCollection:
    return schemas.TaskInstanceCollection(
        task_instances=[schemas.TaskInstance.of(row) for row in page.rows], total_entries=page.total
    )


def _detail(found: api_views.InstanceDetail) -> schemas.TaskInstanceDetail:
    base = schemas.TaskInstance.of(found.row)
    return schemas.TaskInstanceDetail(**base.model_dump(), rendered_fields=found.rendered_fields)


@router.get(INSTANCES)
def list_instances(
    dag_id: str, dag_run_id: str, paging: PagingParams, state: States = None, task_id: str | None = None
) -> schemas.TaskInstanceCollection:
    with reading() as session:
        page = api_views.list_instances(
            session, dag_id, dag_run_id, limit=paging.limit, offset=paging.offset, task_id=task_id, states=state or ()
        )
        return _collection(page)


@router.get(INSTANCES + "/{task_id}/listMapped")
def list_mapped(
    dag_id: str, dag_run_id: str, task_id: str, paging: PagingParams, state: States = None
) -> schemas.TaskInstanceCollection:
    with reading() as session:
        page = api_views.list_mapped(
            session, dag_id, dag_run_id, task_id, limit=paging.limit, offset=paging.offset, states=state or ()
        )
        return _collection(page)


@router.get(INSTANCES + "/{task_id}/logs/{try_number}")
def get_log(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    try_number: TryNumber,
    map_index: MapIndexQuery = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Byte offset to read from.")] = 0,
) -> schemas.LogChunk:
    with reading() as session:
        chunk = api_views.read_log(session, dag_id, dag_run_id, task_id, try_number, map_index=map_index, offset=offset)
    return schemas.LogChunk(content=chunk.content, next_offset=chunk.next_offset)


@router.get(INSTANCES + "/{task_id}/xcomEntries")
def list_xcom(dag_id: str, dag_run_id: str, task_id: str, map_index: MapIndexQuery = None) -> schemas.XComCollection:
    with reading() as session:
        found = api_views.xcom_entries(session, dag_id, dag_run_id, task_id, map_index)
    entries = [schemas.XComEntry(key=e.key, map_index=e.map_index, timestamp=e.timestamp, value=e.value) for e in found]
    return schemas.XComCollection(xcom_entries=entries, total_entries=len(entries))


@router.get(INSTANCES + "/{task_id}")
def get_instance(dag_id: str, dag_run_id: str, task_id: str) -> schemas.TaskInstanceDetail:
    with reading() as session:
        return _detail(api_views.get_instance(session, dag_id, dag_run_id, task_id, -1))


@router.get(INSTANCES + "/{task_id}/{map_index}")
def get_mapped_instance(dag_id: str, dag_run_id: str, task_id: str, map_index: MapIndex) -> schemas.TaskInstanceDetail:
    with reading() as session:
        return _detail(api_views.get_instance(session, dag_id, dag_run_id, task_id, map_index))


@router.patch(INSTANCES + "/{task_id}/{map_index}")
def mark_instance(
    dag_id: str, dag_run_id: str, task_id: str, map_index: MapIndex, body: schemas.TaskInstancePatch
) -> schemas.TaskInstanceDetail:
    with transaction() as session:
        return _detail(api_actions.mark_instance(session, dag_id, dag_run_id, task_id, map_index, body.new_state))


@router.get(INSTANCES + "/{task_id}/{map_index}/tries")
def list_tries(dag_id: str, dag_run_id: str, task_id: str, map_index: MapIndex) -> schemas.TryCollection:
    with reading() as session:
        found = api_views.tries(session, dag_id, dag_run_id, task_id, map_index)
    items = [schemas.Try.model_validate(item, from_attributes=True) for item in found]
    return schemas.TryCollection(task_instances=items, total_entries=len(items))


@router.post("/dags/{dag_id}/clearTaskInstances")
def clear_task_instances(dag_id: str, body: schemas.ClearTaskInstancesBody) -> schemas.InstanceReferenceCollection:
    """Clear instances (whole tasks or ``[task_id, map_index]``) with their downstream; a dry run unless told."""
    with transaction() as session:
        result = api_actions.clear(
            session,
            dag_id,
            body.task_ids,
            run_id=body.dag_run_id,
            start_date=body.start_date,
            end_date=body.end_date,
            only_failed=body.only_failed,
            include_downstream=body.include_downstream,
            dry_run=body.dry_run,
        )
    references = [
        schemas.InstanceReference(dag_id=k.dag_id, dag_run_id=k.run_id, task_id=k.task_id, map_index=k.map_index)
        for k in result.instances
    ]
    return schemas.InstanceReferenceCollection(task_instances=references)
