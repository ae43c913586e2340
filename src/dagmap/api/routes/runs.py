"""``/dags/{dag_id}/dagRuns``: list, trigger, read, mark, delete and clear runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from dagmap.api import schemas
from dagmap.api.deps import PagingParams, reading, transaction
from dagmap.services import api_actions, api_views

router = APIRouter(tags=["dag runs"])
RUN = "/dags/{dag_id}/dagRuns/{dag_run_id}"


@router.get("/dags/{dag_id}/dagRuns")
def list_runs(
    dag_id: str, paging: PagingParams, state: Annotated[list[str] | None, Query()] = None
) -> schemas.DagRunCollection:
    with reading() as session:
        page = api_views.list_runs(session, dag_id, limit=paging.limit, offset=paging.offset, states=state or ())
        return schemas.DagRunCollection(
            dag_runs=[schemas.DagRun.of(row) for row in page.rows], total_entries=page.total
        )


@router.post("/dags/{dag_id}/dagRuns")
def trigger_run(dag_id: str, body: schemas.TriggerBody) -> schemas.DagRun:
    with transaction() as session:
        row = api_actions.trigger(
            session, dag_id, run_id=body.dag_run_id, logical_date=body.logical_date, conf=body.conf, note=body.note
        )
        return schemas.DagRun.of(row)


@router.get(RUN)
def get_run(dag_id: str, dag_run_id: str) -> schemas.DagRun:
    with reading() as session:
        return schemas.DagRun.of(api_views.get_run(session, dag_id, dag_run_id))


@router.patch(RUN)
def mark_run(dag_id: str, dag_run_id: str, body: schemas.DagRunPatch) -> schemas.DagRun:
    with transaction() as session:
        return schemas.DagRun.of(api_actions.mark_run(session, dag_id, dag_run_id, body.state))


@router.delete(RUN, status_code=204)
def delete_run(dag_id: str, dag_run_id: str) -> Response:
    with transaction() as session:
        api_views.get_run(session, dag_id, dag_run_id)
    api_actions.delete(dag_id, dag_run_id)
    return Response(status_code=204)


@router.post(f"{RUN}/clear")
def clear_run(dag_id: str, dag_run_id: str, body: schemas.ClearRunBody) -> schemas.TaskInstanceCollection:
    """Clear every instance of the run (only failed ones with ``only_failed``); a dry run unless told."""
    with transaction() as session:
        api_views.get_run(session, dag_id, dag_run_id)
        result = api_actions.clear(
            session, dag_id, None, run_id=dag_run_id, only_failed=body.only_failed, dry_run=body.dry_run
        )
        keys = result.instances
    with transaction() as session:
        found = api_views.instances_by_key(session, keys)
    return schemas.TaskInstanceCollection(
        task_instances=[schemas.TaskInstance.of(row) for row in found], total_entries=len(found)
    )
