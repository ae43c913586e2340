"""Summaries the REST API (``dagmap.api``) shows: the tasks of a DAG, the graph with one run's state counts,
the grid of the latest runs, health and import errors. Each is a fixed number of set-based queries, whatever
the number of mapped instances.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dagmap.config import get_settings
from dagmap.services.api_views import get_run
from dagmap.services.dags import get_spec
from dagmap.services.inspect_graph import describe_expand
from dagmap.states import TaskInstanceState, aggregate_state
from dagmap.store.queries import Session, browsing, dag_runs, import_errors, jobs
from dagmap.store.queries.browsing import Page

# --- graph and grid ----------------------------------------------------------------------------------------


def _counts_json(counts: Mapping[TaskInstanceState | None, int]) -> dict[str, int]:
    return {(state.value if state else "none"): number for state, number in counts.items()}


def _aggregate(counts: Mapping[TaskInstanceState | None, int]) -> str | None:
    state = aggregate_state(set(counts))
    return state.value if state else None


def graph(session: Session, dag_id: str, run_id: str | None = None) -> dict[str, Any]:
    """Nodes, edges and task groups of the stored DAG; with ``run_id`` each node's aggregate state and counts
    in that run (one grouped query)."""
    spec = get_spec(session, dag_id)
    counts: dict[str, dict[TaskInstanceState | None, int]] | None = None
    expanded: set[str] = set()
    if run_id is not None:
        get_run(session, dag_id, run_id)
        counts = {}
        for count in browsing.grid_counts(session, dag_id, [run_id]):
            counts.setdefault(count.task_id, {})[count.state] = count.number
            if count.max_map_index >= 0:
                expanded.add(count.task_id)
    nodes = []
    for task in spec.tasks:
        task_counts = counts.get(task.task_id, {}) if counts is not None else None
        nodes.append(
            {
                "id": task.task_id,
                "label": task.task_id.rsplit(".", 1)[-1] if task.task_group_id else task.task_id,
                "operator": task.operator,
                "is_mapped": task.is_mapped,
                "group_id": task.task_group_id,
                "is_setup": task.is_setup,
                "is_teardown": task.is_teardown,
                "state": _aggregate(task_counts) if task_counts else None,
                "counts": _counts_json(task_counts) if task_counts is not None else None,
                "expanded": task.task_id in expanded if task.is_mapped and task_counts else None,
            }
        )
    edges = [{"source": edge.source, "target": edge.target, "label": edge.label} for edge in spec.edges]
    groups = [
        {
            "id": group.group_id,
            "label": group.group_id.rsplit(".", 1)[-1],
            "parent_id": group.parent_group_id,
            "is_mapped": group.expand is not None,
        }
        for group in spec.task_groups
    ]
    return {"nodes": nodes, "edges": edges, "groups": groups}


@dataclass(frozen=True)
class Grid:
    runs: list[Any]
    """``dag_run`` rows, oldest first."""
    tasks: list[dict[str, Any]] = field(default_factory=list)


def grid(session: Session, dag_id: str, *, limit: int = 25) -> Grid:
    """The latest ``limit`` runs (oldest first) and per task and run the aggregate state and counts by state:
    one grouped query over (task, run, state), whatever the number of mapped instances."""
    spec = get_spec(session, dag_id)
    runs = list(reversed(dag_runs.list_dag_runs(session, dag_id=dag_id, limit=limit)))
    by_task: dict[str, dict[str, dict[TaskInstanceState | None, int]]] = {}
    expanded: set[tuple[str, str]] = set()
    for count in browsing.grid_counts(session, dag_id, [run.run_id for run in runs]):
        by_task.setdefault(count.task_id, {}).setdefault(count.run_id, {})[count.state] = count.number
        if count.max_map_index >= 0:
            expanded.add((count.task_id, count.run_id))
    tasks = []
    for task in spec.tasks:
        instances = {
            run_id: {
                "state": _aggregate(counts),
                "counts": _counts_json(counts),
                "total": sum(counts.values()),
                "expanded": (task.task_id, run_id) in expanded if task.is_mapped else None,
            }
            for run_id, counts in by_task.get(task.task_id, {}).items()
        }
        tasks.append(
            {
                "task_id": task.task_id,
                "group_id": task.task_group_id,
                "is_mapped": task.is_mapped,
                "instances": instances,
            }
        )
    return Grid(runs, tasks)


def tasks(session: Session, dag_id: str) -> list[dict[str, Any]]:
    """The DAG's tasks in topological order, as the API shows them."""
    spec = get_spec(session, dag_id)
    return [
        {
            "task_id": task.task_id,
            "operator_name": task.operator,
            "is_mapped": task.is_mapped,
            "upstream_task_ids": list(task.upstream_task_ids),
            "downstream_task_ids": list(task.downstream_task_ids),
            "trigger_rule": task.trigger_rule,
            "retries": task.retries,
            "pool": task.pool,
            "queue": task.queue,
            "task_group_id": task.task_group_id,
            "is_setup": task.is_setup,
            "is_teardown": task.is_teardown,
            "expand": describe_expand(task.expand) if task.expand is not None else None,
        }
        for task in spec.tasks
    ]


# --- health and import errors ------------------------------------------------------------------------------


def health(*, now: datetime | None = None) -> dict[str, Any]:
    """Whether the database answers and a scheduler heartbeated within ``scheduler_heartbeat_timeout``. Opens
    its own short transaction: a database that cannot be reached is the answer, never an error."""
    from dagmap.store import db

    try:
        with db.session_scope() as session:
            browsing.ping(session)
            scheduler = jobs.running_jobs(session, jobs.SCHEDULER_JOB)
    except Exception:  # whatever the driver raises when the database is down or refuses us
        return {
            "metadatabase": {"status": "unhealthy"},
            "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": None},
        }
    latest = max((job.latest_heartbeat for job in scheduler), default=None)
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=get_settings().scheduler.scheduler_heartbeat_timeout)
    alive = latest is not None and latest >= cutoff
    return {
        "metadatabase": {"status": "healthy"},
        "scheduler": {"status": "healthy" if alive else "unhealthy", "latest_scheduler_heartbeat": latest},
    }


def list_import_errors(session: Session, *, limit: int, offset: int) -> Page:
    rows = import_errors.list_errors(session)
    return Page(rows[offset : offset + limit], len(rows))
