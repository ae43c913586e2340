"""``dagmap tasks clear|states-for-dag-run|list|state`` (wiring only; the work is in ``dagmap.services``).

Exit codes: 0 success, 1 cancelled, 2 bad input (unknown DAG, run, task or map index, bad regex, ...).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from dagmap.cli.main import DagsFolder, err, out, parse_date, tasks_app
from dagmap.cli.runs_cmd import fail, folder, table, transaction, warn, when
from dagmap.services.tasks import ClearResult, Target
from dagmap.store.queries import Session

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RunArgument = Annotated[str, typer.Argument(help="Run id, or the run's logical date.")]
SHOWN = 40
"""Lines of a clear's preview before the rest is summarized."""


def indexes_text(indexes: list[int]) -> str:
    """``[0-2, 5]`` for map indexes; empty for an unmapped instance (-1)."""
    if indexes == [-1]:
        return ""
    spans: list[list[int]] = []
    for index in sorted(indexes):
        if spans and spans[-1][1] == index - 1:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    return "[" + ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans) + "]"


def _preview(result: ClearResult) -> None:
    groups = result.by_task()
    for number, ((run_id, task_id), indexes) in enumerate(groups.items()):
        if number == SHOWN:
            out.print(f"  ... and {len(groups) - SHOWN} more tasks", markup=False)
            break
        out.print(f"  {run_id}  {task_id}{indexes_text(indexes)}", markup=False)


@tasks_app.command("clear")
def tasks_clear(
    dag_id: str,
    task_regex: Annotated[str | None, typer.Option("--task-regex", "-t", help="Tasks whose id matches.")] = None,
    map_index: Annotated[
        list[int] | None, typer.Option("--map-index", help="Only this map index of the mapped tasks (repeatable).")
    ] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", "-r", help="Only this run.")] = None,
    start_date: Annotated[str | None, typer.Option("--start-date", "-s", help="Runs from this logical date.")] = None,
    end_date: Annotated[str | None, typer.Option("--end-date", "-e", help="Runs up to this logical date.")] = None,
    only_failed: Annotated[bool, typer.Option("--only-failed", "-f", help="Only failed, upstream_failed.")] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream/--no-downstream", "-d/-D", help="Also clear what depends on them.")
    ] = True,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be cleared.")] = False,
    dags_folder: DagsFolder = None,
) -> None:
    """Clear task instances so that the scheduler runs them again, with their retries given back."""
    from dagmap.services.dags import get_spec
    from dagmap.services.tasks import clear_task_instances, match_tasks
    from dagmap.xcom.backends import xcom_storage_from_settings

    if run_id is not None and (start_date or end_date):
        raise typer.BadParameter("give --run-id or --start-date/--end-date, not both")
    start, end = parse_date(start_date), parse_date(end_date)

    def clear(session: Session, targets: list[Target] | None, *, dry_run: bool) -> ClearResult:
        storage = None if dry_run else xcom_storage_from_settings()
        return clear_task_instances(
            session,
            dag_id,
            targets,
            run_id=run_id,
            start_date=start,
            end_date=end,
            only_failed=only_failed,
            include_downstream=downstream,
            dry_run=dry_run,
            storage=storage,
        )

    with transaction() as session:
        spec = get_spec(session, dag_id, dags_folder=folder(dags_folder))
        task_ids = match_tasks(spec, task_regex)
        targets: list[Target] | None = None if task_regex is None and not map_index else list(task_ids)
        if map_index:
            unmapped = [task_id for task_id in task_ids if not spec.task(task_id).is_mapped]
            if unmapped:
                fail(f"DAG {dag_id!r}: --map-index applies to mapped tasks; not mapped: {', '.join(unmapped)}")
            targets = [(task_id, index) for task_id in task_ids for index in map_index]
        preview = clear(session, targets, dry_run=True)
    _unmatched_indexes(preview, task_ids, map_index or [])
    if preview.in_flight:
        warn(f"{preview.in_flight} selected instances are scheduled, queued or running: they are left to finish")
    if not preview.instances:
        out.print("nothing to clear", markup=False)
        return
    runs = len({key.run_id for key in preview.instances})
    out.print(
        f"{'would clear' if dry_run else 'about to clear'} {len(preview.instances)} task instances in {runs} runs:"
    )
    _preview(preview)
    if dry_run:
        return
    if not yes and not typer.confirm("Clear them?"):
        err.print("cancelled: nothing was cleared", markup=False)
        raise typer.Exit(1)
    with transaction() as session:
        result = clear(session, targets, dry_run=False)
    out.print(f"cleared {len(result.instances)} task instances", markup=False)
    if result.requeued_runs:
        out.print(f"runs queued again: {', '.join(result.requeued_runs)}", markup=False)


def _unmatched_indexes(preview: ClearResult, task_ids: list[str], map_indexes: list[int]) -> None:
    found = {(key.task_id, key.map_index) for key in preview.instances}
    missing = [f"{t}[{i}]" for t in task_ids for i in map_indexes if (t, i) not in found]
    if missing:
        warn(f"nothing to clear at {', '.join(missing)} (no such instance, not finished, or not failed)")


@tasks_app.command("states-for-dag-run")
def tasks_states_for_dag_run(dag_id: str, run_id: RunArgument, as_json: JsonOption = False) -> None:
    """Every task instance of a run with its state, try number and dates."""
    from dagmap.services.tasks import states_for_dag_run

    with transaction() as session:
        instances = states_for_dag_run(session, dag_id, run_id)
    if as_json:
        sys.stdout.write(json.dumps([instance.to_json() for instance in instances]) + "\n")
        return
    found = table("task_id", "map_index", "state", "try_number", "start_date", "end_date")
    for item in instances:
        found.add_row(
            item.task_id,
            str(item.map_index),
            item.state or "",
            str(item.try_number),
            when(item.start_date),
            when(item.end_date),
        )
    out.print(found)


@tasks_app.command("list")
def tasks_list(
    dag_id: str,
    tree: Annotated[bool, typer.Option("--tree", help="Show dependencies as a tree.")] = False,
    dags_folder: DagsFolder = None,
) -> None:
    """The DAG's task ids (as stored in the database; parsed from the DAGs folder if not stored yet)."""
    from dagmap.services.tasks import list_tasks, task_tree

    with transaction() as session:
        spec = list_tasks(session, dag_id, dags_folder=folder(dags_folder))
    lines = task_tree(spec) if tree else sorted(task.task_id for task in spec.tasks)
    for line in lines:
        out.print(line, markup=False)


@tasks_app.command("state")
def tasks_state(
    dag_id: str,
    task_id: str,
    run_id: RunArgument,
    map_index: Annotated[int | None, typer.Option("--map-index", help="One instance of a mapped task.")] = None,
) -> None:
    """Print the state of a task instance (of a mapped task without --map-index: the aggregate state)."""
    from dagmap.services.tasks import task_state

    with transaction() as session:
        found = task_state(session, dag_id, task_id, run_id, map_index=map_index)
    out.print(str(found.state), markup=False)
    if map_index is None and sum(found.counts.values()) > 1:
        parts = ", ".join(f"{n} {s or 'no status'}" for s, n in sorted(found.counts.items(), key=lambda i: str(i[0])))
        err.print(f"({sum(found.counts.values())} instances: {parts})", markup=False)
