"""Entry point of the ``dagmap`` command."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from dagmap.cli.api_cmd import register as register_api_commands
from dagmap.cli.celery_cmd import celery_app
from dagmap.cli.connections_cmd import connections_app
from dagmap.cli.scheduler_cmd import register as register_scheduler_commands
from dagmap.cli.variables_cmd import variables_app
from dagmap.errors import DagmapError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="dagmap: workflows with dynamic task mapping.")
dags_app = typer.Typer(no_args_is_help=True, help="Inspect and run DAGs.")
tasks_app = typer.Typer(no_args_is_help=True, help="Inspect and run task instances.")
db_app = typer.Typer(no_args_is_help=True, help="The metadata database.")
app.add_typer(dags_app, name="dags")
app.add_typer(tasks_app, name="tasks")
app.add_typer(db_app, name="db")
app.add_typer(celery_app, name="celery")
app.add_typer(connections_app, name="connections")
app.add_typer(variables_app, name="variables")
register_scheduler_commands(app)
register_api_commands(app)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DagsFolder = Annotated[
    Path | None, typer.Option("--dags-folder", "-S", help="Folder of DAG files (default: the configured one).")
]


def parse_date(value: str | None) -> datetime | None:
    """``2024-01-02`` or an ISO 8601 date-time; a naive value is taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD or ISO 8601)") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_conf(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        conf = json.loads(value)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f"--conf is not valid JSON: {error}") from error
    if not isinstance(conf, dict):
        raise typer.BadParameter("--conf must be a JSON object")
    return conf


def _apply_dags_folder(folder: Path | None) -> Path | None:
    return folder.expanduser().resolve() if folder else None


@dags_app.command("test")
def dags_test(
    dag_id: str,
    logical_date: Annotated[str | None, typer.Argument(help="Logical date (default: now).")] = None,
    dags_folder: DagsFolder = None,
    conf: Annotated[str | None, typer.Option("--conf", "-c", help="JSON object for dag_run.conf.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the result.")] = False,
) -> None:
    """Run one DAG run to completion in this process; exit 0 if it succeeded, 1 if it failed, 2 if unloadable."""
    from dagmap.cli.progress import ProgressPrinter
    from dagmap.services.dag_test import run_dag_test

    printer = ProgressPrinter(err if as_json else out)
    try:
        report = run_dag_test(
            dag_id,
            logical_date=parse_date(logical_date),
            conf=parse_conf(conf),
            dags_folder=_apply_dags_folder(dags_folder),
            progress=printer,
        )
    except DagmapError as error:
        err.print(f"[red]error:[/red] {error}", markup=True)
        raise typer.Exit(2) from error
    printer.close()
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
    else:
        printer.summary(report)
    _leave(0 if report.state == "success" else 1)


@dags_app.command("list")
def dags_list(
    dags_folder: DagsFolder = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The DAGs found, and the files that failed to load."""
    from dagmap.config import get_settings
    from dagmap.services.dags import stored_pause_flags
    from dagmap.services.loading import load_folder

    folder = _apply_dags_folder(dags_folder) or get_settings().dags_folder
    result = load_folder(folder)
    dags = [
        {
            "dag_id": dag.dag_id,
            "fileloc": str(dag.fileloc),
            "schedule": getattr(dag.timetable, "summary", None) if hasattr(dag, "timetable") else None,
            "tags": sorted(getattr(dag, "tags", []) or []),
            "tasks": len(dag.task_dict),
        }
        for dag in sorted(result.dags.values(), key=lambda d: d.dag_id)
    ]
    paused = stored_pause_flags([str(item["dag_id"]) for item in dags])
    for item in dags:
        item["is_paused"] = paused.get(str(item["dag_id"]))
    errors = [{"filename": str(e.filename), "error": e.error} for e in result.import_errors]
    if as_json:
        sys.stdout.write(json.dumps({"dags": dags, "import_errors": errors}) + "\n")
        return
    from rich.table import Table

    table = Table("dag_id", "file", "schedule", "tasks", "paused")
    for item in dags:
        flag = {True: "yes", False: "no", None: "not stored"}[item["is_paused"]]  # type: ignore[index]
        table.add_row(item["dag_id"], item["fileloc"], str(item["schedule"]), str(item["tasks"]), flag)
    out.print(table)
    for error in errors:
        err.print(f"[red]import error[/red] {error['filename']}:\n{error['error']}", markup=True)


@tasks_app.command("test")
def tasks_test(
    dag_id: str,
    task_id: str,
    logical_date: Annotated[str | None, typer.Argument(help="Logical date (default: now).")] = None,
    map_index: Annotated[int, typer.Option("--map-index", help="Which mapped instance (-1: unmapped).")] = -1,
    dags_folder: DagsFolder = None,
    conf: Annotated[str | None, typer.Option("--conf", "-c", help="JSON object for dag_run.conf.")] = None,
) -> None:
    """Run one task instance alone, with upstream XComs taken from earlier runs of the same logical date."""
    from dagmap.services.task_test import run_task_test

    try:
        result = run_task_test(
            dag_id,
            task_id,
            logical_date=parse_date(logical_date),
            map_index=map_index,
            conf=parse_conf(conf),
            dags_folder=_apply_dags_folder(dags_folder),
        )
    except DagmapError as error:
        err.print(f"[red]error:[/red] {error}", markup=True)
        raise typer.Exit(2) from error
    out.print(f"{task_id}{f'[{map_index}]' if map_index >= 0 else ''}: {result.state}")
    if result.return_value is not None:
        out.print(f"return value: {json.dumps(result.return_value, default=str)}")
    out.print(f"log: {result.log_path}")
    _leave(0 if result.state == "success" else 1)


@db_app.command("migrate")
def db_migrate() -> None:
    """Create the database or upgrade it to the newest schema."""
    from dagmap.config import get_settings
    from dagmap.store import db

    url = get_settings().sql_alchemy_conn
    db.migrate(url)
    out.print(f"database ready: {_hide_password(url)}")


@db_app.command("reset")
def db_reset(yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False) -> None:
    """Drop everything in the database and create it anew."""
    from dagmap.config import get_settings
    from dagmap.store import db

    url = get_settings().sql_alchemy_conn
    if not yes and not typer.confirm(f"Delete all data in {_hide_password(url)}?"):
        raise typer.Exit(1)
    db.reset(url)
    out.print(f"database reset: {_hide_password(url)}")


def _hide_password(url: str) -> str:
    from dagmap.store.db import display_url

    return display_url(url)


# The run, task and pool management commands attach themselves to the apps above.
from dagmap.cli import assets_cmd, inspect_cmd, pools_cmd, runs_cmd, tasks_cmd  # noqa: E402, F401

_OWN_PROCESS = False
"""True when ``dagmap`` runs as its own command (``main``), not inside a caller such as a test's CliRunner."""


def _leave(code: int) -> NoReturn:
    """End a command that ran tasks in this process (``dags test``, ``tasks test``).

    Everything Python-level ends as at a normal exit — other threads are waited for, ``atexit`` handlers run,
    database connections close, logs and output are flushed — and then the process leaves without the
    interpreter's final teardown: native libraries that tasks load (Arrow, LightGBM, OpenMP runtimes, ...) can
    abort in their own destructors there ("terminate called without an active exception", exit 134, seen after
    every task of the ML example had succeeded), which would turn a finished run into a crash.
    """
    if not _OWN_PROCESS:
        raise typer.Exit(code)
    import atexit
    import logging
    import os
    import threading

    from dagmap.store import db

    threading._shutdown()  # type: ignore[attr-defined]  # what the interpreter does first at exit
    atexit._run_exitfuncs()
    db.dispose_engines()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    global _OWN_PROCESS
    _OWN_PROCESS = True
    app()
