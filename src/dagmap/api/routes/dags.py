"""``/dags``, ``/dags/{dag_id}`` (read, pause), its tasks, and the *dagmap* graph and grid summaries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dagmap.api import schemas
from dagmap.api.deps import PagingParams, reading, transaction
from dagmap.services import api_actions, api_summaries, api_views

router = APIRouter(tags=["dags"])


@router.get("/dags")
def list_dags(
    paging: PagingParams,
    paused: bool | None = None,
    dag_id_pattern: str | None = None,
    tags: Annotated[list[str] | None, Query()] = None,
    with_latest_runs: Annotated[
        int, Query(ge=0, le=api_views.MAX_LATEST_RUNS, description="Add each DAG's latest N runs (latest_runs).")
    ] = 0,
) -> schemas.DagCollection:
    with reading() as session:
        page = api_views.list_dags(
            session,
            limit=paging.limit,
            offset=paging.offset,
            paused=paused,
            dag_id_pattern=dag_id_pattern,
            tags=tags or (),
            latest_runs=with_latest_runs,
        )
        return schemas.DagCollection(dags=schemas.Dag.page(page), total_entries=page.total)


@router.get("/dags/{dag_id}")
def get_dag(dag_id: str) -> schemas.Dag:
    with reading() as session:
        return schemas.Dag.page(api_views.dag_detail(session, dag_id))[0]


@router.patch("/dags/{dag_id}")
def patch_dag(dag_id: str, body: schemas.DagPatch) -> schemas.Dag:
    with transaction() as session:
        api_actions.pause(session, dag_id, body.is_paused)
        return schemas.Dag.page(api_views.dag_detail(session, dag_id))[0]


@router.get("/dags/{dag_id}/tasks")
def list_tasks(dag_id: str) -> schemas.TaskCollection:
    with reading() as session:
        found = api_summaries.tasks(session, dag_id)
    return schemas.TaskCollection(tasks=[schemas.Task.model_validate(t) for t in found], total_entries=len(found))


@router.get("/dags/{dag_id}/graph")
def get_graph(dag_id: str, dag_run_id: str | None = None) -> schemas.Graph:
    with reading() as session:
        return schemas.Graph.model_validate(api_summaries.graph(session, dag_id, dag_run_id))


@router.get("/dags/{dag_id}/grid")
def get_grid(dag_id: str, limit: Annotated[int, Query(ge=1, le=1000)] = 25) -> schemas.Grid:
    with reading() as session:
        found = api_summaries.grid(session, dag_id, limit=limit)
        runs = [schemas.DagRun.of(row) for row in found.runs]
    return schemas.Grid(dag_runs=runs, tasks=[schemas.GridTask.model_validate(task) for task in found.tasks])
