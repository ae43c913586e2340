"""``dagmap tasks logs|render`` and ``dagmap dags show`` (wiring only; the work is in ``dagmap.services.inspect_*``).

Exit codes: 0 shown, 1 nothing to show that will ever come (a try that never ran, a log file not here),
2 bad input (unknown DAG, run, task, map index or try; a mapped task without ``--map-index``).
"""

from __future__ import annotations

import json
import pprint
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from dagmap.cli.main import DagsFolder, dags_app, err, tasks_app
from dagmap.cli.runs_cmd import fail, folder, transaction, warn
from dagmap.errors import DagmapError

RunArgument = Annotated[str, typer.Argument(help="Run id, or the run's logical date.")]
MapIndexOption = Annotated[int | None, typer.Option("--map-index", help="Which instance of a mapped task.")]


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@tasks_app.command("logs")
def tasks_logs(
    dag_id: str,
    run_id: RunArgument,
    task_id: str,
    map_index: MapIndexOption = None,
    try_number: Annotated[int | None, typer.Option("--try", help="Which try (default: the latest).")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing what the try appends until it ends.")
    ] = False,
) -> None:
    """Print the log of one try of a task instance (secrets are masked when the log is written)."""
    from dagmap.services.inspect_logs import LogStatus, find_log, follow_log, read_log, refreshed

    with transaction() as session:
        target = find_log(session, dag_id, run_id, task_id, map_index=map_index, try_number=try_number)
    status = target.status()
    if status in (LogStatus.NEVER_RAN, LogStatus.MISSING):
        fail(target.explain(status), code=1)
    err.print(f"*** {target.describe()} ({target.key.run_id}): {target.path}", markup=False)
    if not follow:
        if status is not LogStatus.WRITTEN:
            err.print(f"{target.explain(status)} (--follow waits for it)", markup=False)
            return
        _write(read_log(target))
        if target.running:
            err.print(f"*** {target.describe()} is still running: --follow keeps reading", markup=False)
        return
    if status is not LogStatus.WRITTEN:
        err.print(f"*** {target.explain(status)}; waiting", markup=False)
    if target.running and target.elsewhere:
        warn(f"{target.describe()} runs on {target.hostname}: its log is written there, not in this log folder")
    try:
        for text in follow_log(target):
            _write(text)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if not target.path.is_file():  # the try never started after all, or ran elsewhere
        with transaction() as session:
            target = refreshed(session, target)
        fail(target.explain(target.status()), code=1)


@tasks_app.command("render")
def tasks_render(
    dag_id: str,
    task_id: str,
    logical_date_or_run_id: Annotated[
        str | None, typer.Argument(help="A run id, or a logical date (default: now).", show_default=False)
    ] = None,
    map_index: MapIndexOption = None,
    dags_folder: DagsFolder = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print each template field of a task instance, rendered: as stored when it ran, else rendered now."""
    from dagmap.services.inspect_render import render_task_fields
    from dagmap.store import db

    try:
        db.migrate()
        found = render_task_fields(
            dag_id,
            task_id,
            logical_date_or_run_id,
            map_index=map_index,
            dags_folder=folder(dags_folder) if dags_folder else None,
        )
    except DagmapError as error:
        fail(error)
    if as_json:
        _write(json.dumps(found.to_json(), default=str) + "\n")
        return
    index = f"[{found.key.map_index}]" if found.key.map_index >= 0 else ""
    if found.stored:
        source = "as rendered when it ran"
    else:
        source = "rendered now" + ("" if found.run_exists else " for a run that does not exist")
    err.print(f"*** {task_id}{index} of {found.key.run_id}: {source}", markup=False)
    for name, value in found.fields.items():
        _write(f"# {'-' * 58}\n# property: {name}\n# {'-' * 58}\n{_shown(value)}\n\n")


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else pprint.pformat(value, width=100, sort_dicts=False)


class ShowFormat(StrEnum):
    TEXT = "text"
    DOT = "dot"


@dags_app.command("show")
def dags_show(
    dag_id: str,
    dags_folder: DagsFolder = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", "-r", help="With each task's instance states in this run.")
    ] = None,
    output: Annotated[ShowFormat, typer.Option("--format", help="text, or Graphviz DOT.")] = ShowFormat.TEXT,
) -> None:
    """The DAG's tasks in topological order with their upstreams, mapping and trigger rules (from the stored
    DAG; parsed from the DAGs folder when not stored yet)."""
    from dagmap.services.inspect_graph import dag_shape, shape_dot, shape_text

    with transaction() as session:
        shape = dag_shape(session, dag_id, dags_folder=folder(dags_folder), run=run_id)
    _write(shape_dot(shape) if output is ShowFormat.DOT else "\n".join(shape_text(shape)) + "\n")
