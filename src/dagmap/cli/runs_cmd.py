"""``dagmap dags trigger|backfill|pause|unpause|state|list-runs|delete-run`` (wiring only; the work is in
``dagmap.services``). These commands write rows; a running scheduler picks them up.

Exit codes: 0 success, 1 failure (a waited-for run failed), 2 bad input (unknown DAG/run, bad conf, ...).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dagmap.cli.main import DagsFolder, dags_app, err, out, parse_conf, parse_date
from dagmap.errors import DagmapError
from dagmap.services.dags import RunSummary
from dagmap.states import TaskInstanceState
from dagmap.store.queries import Session

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Block until the run(s) end, showing progress (needs a running scheduler).")
]
PollOption = Annotated[float, typer.Option("--poll-interval", help="Seconds between two looks at the database.")]


# --- shared by the management commands -------------------------------------------------------------------


def fail(error: DagmapError | str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(str(error))}", markup=True, highlight=False)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}", markup=True, highlight=False)


@contextmanager
def transaction() -> Iterator[Session]:
    """One committed transaction on the configured database (created or upgraded first); a DagmapError
    becomes a clear message and exit code 2."""
    from dagmap.store import db

    try:
        db.migrate()
        with db.session_scope() as session:
            yield session
    except DagmapError as error:
        fail(error)


def folder(dags_folder: Path | None) -> Path:
    """The ``--dags-folder`` given, or the configured one: where a DAG not stored yet is parsed from."""
    from dagmap.config import get_settings

    return dags_folder.expanduser().resolve() if dags_folder else get_settings().dags_folder


def table(*columns: str) -> Table:
    """A table whose cells wrap rather than being cut short in a narrow terminal."""
    result = Table()
    for column in columns:
        result.add_column(column, overflow="fold")
    return result


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def when(value: datetime | None) -> str:
    """A date for a table cell: UTC, to the second (JSON output keeps the full ISO form)."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


# --- waiting ----------------------------------------------------------------------------------------------


class WaitPrinter:
    """Progress while polling: for one run, a line per task whose instance counts changed; for several runs,
    a line per run whose state changed."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._tasks: dict[str, dict[TaskInstanceState | None, int]] = {}
        self._runs: dict[str, str] = {}

    def __call__(self, run_id: str, state: str, tasks: dict[str, dict[TaskInstanceState | None, int]]) -> None:
        if self._runs.get(run_id) != state:
            self._runs[run_id] = state
            self._console.print(f"{run_id}: {state}", markup=False)
        for task_id, counts in tasks.items():
            if self._tasks.get(task_id) == counts:
                continue
            self._tasks[task_id] = dict(counts)
            total = sum(counts.values())
            parts = ", ".join(f"{n} {s.value if s else 'waiting'}" for s, n in sorted(counts.items(), key=_order))
            self._console.print(f"  {task_id}: {parts}" + (f" (of {total})" if len(counts) > 1 else ""), markup=False)

    def no_scheduler(self) -> None:
        from dagmap.config import get_settings

        timeout = get_settings().scheduler.scheduler_heartbeat_timeout
        warn(
            f"no scheduler has heartbeated in the last {timeout:g}s: the run only moves while 'dagmap scheduler' "
            "(or 'dagmap standalone') is running. Waiting anyway (Ctrl-C stops waiting, not the run)."
        )


def _order(item: tuple[TaskInstanceState | None, int]) -> str:
    return item[0].value if item[0] else ""


def wait(dag_id: str, run_ids: list[str], console: Console, poll_interval: float) -> dict[str, str]:
    from dagmap.services.runs import wait_for_runs

    printer = WaitPrinter(console)
    try:
        return wait_for_runs(
            dag_id, run_ids, poll_interval=poll_interval, on_progress=printer, on_no_scheduler=printer.no_scheduler
        )
    except KeyboardInterrupt:
        err.print("stopped waiting; the run goes on in the scheduler", markup=False)
        raise typer.Exit(130) from None
    except DagmapError as error:
        fail(error)


# --- commands ---------------------------------------------------------------------------------------------


@dags_app.command("trigger")
def dags_trigger(
    dag_id: str,
    conf: Annotated[str | None, typer.Option("--conf", "-c", help="JSON object for dag_run.conf.")] = None,
    logical_date: Annotated[
        str | None, typer.Option("--logical-date", "-e", help="Logical date (default: now), ISO 8601.")
    ] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", "-r", help="Run id (default: manual__<date>).")] = None,
    wait_: WaitOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as `dags test --json` does.")] = False,
    poll_interval: PollOption = 1.0,
    dags_folder: DagsFolder = None,
) -> None:
    """Create a queued manual run for the scheduler; with --wait, exit 0 if it succeeded, 1 if it failed."""
    from dagmap.services.runs import trigger_dag_run

    with transaction() as session:
        triggered = trigger_dag_run(
            session,
            dag_id,
            conf=parse_conf(conf),
            logical_date=parse_date(logical_date),
            run_id=run_id,
            dags_folder=folder(dags_folder),
        )
    run = triggered.run
    console = err if as_json else out
    console.print(
        f"created run {run.run_id} of {dag_id}: {run.state}, logical date {iso(run.logical_date)}, "
        f"data interval {iso(run.data_interval_start)} to {iso(run.data_interval_end)}",
        markup=False,
    )
    if triggered.paused:
        err.print(
            f"[yellow]warning:[/yellow] DAG {dag_id!r} is paused: the run waits until it is unpaused", markup=True
        )
    state = run.state
    if wait_:
        state = wait(dag_id, [run.run_id], console, poll_interval)[run.run_id]
    _report(dag_id, run.run_id, as_json=as_json, summary=wait_)
    raise typer.Exit(0 if not wait_ or state == "success" else 1)


def _report(dag_id: str, run_id: str, *, as_json: bool, summary: bool) -> None:
    if not (as_json or summary):
        return
    from dagmap.cli.progress import ProgressPrinter
    from dagmap.services.dag_test import build_report
    from dagmap.store import db
    from dagmap.store.runtime_client import DirectRuntimeClient
    from dagmap.xcom.backends import xcom_storage_from_settings

    report = build_report(dag_id, run_id, DirectRuntimeClient(db.session_factory(), xcom_storage_from_settings()))
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
    else:
        ProgressPrinter(out).summary(report)


@dags_app.command("backfill")
def dags_backfill(
    dag_id: str,
    start_date: Annotated[str, typer.Option("--start-date", "-s", help="First logical date (inclusive).")],
    end_date: Annotated[str, typer.Option("--end-date", "-e", help="Last logical date (inclusive).")],
    conf: Annotated[str | None, typer.Option("--conf", "-c", help="JSON object for every run's conf.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the runs that would be created.")] = False,
    wait_: WaitOption = False,
    poll_interval: PollOption = 1.0,
    dags_folder: DagsFolder = None,
) -> None:
    """Queue one backfill run per scheduled interval in the range; dates that already have a run are skipped."""
    from dagmap.services.runs import backfill

    start, end = _date(start_date), _date(end_date)
    with transaction() as session:
        result = backfill(
            session,
            dag_id,
            start=start,
            end=end,
            conf=parse_conf(conf),
            dags_folder=folder(dags_folder),
            dry_run=dry_run,
        )
    verb = "would create" if dry_run else "created"
    for run in result.created:
        out.print(
            f"{verb} {run.run_id} (data interval {iso(run.data_interval_start)} to {iso(run.data_interval_end)})",
            markup=False,
        )
    for logical_date, existing in result.skipped:
        out.print(f"skipped {logical_date.isoformat()}: run {existing} already exists", markup=False)
    if not result.created and not result.skipped:
        out.print(f"no scheduled interval of {dag_id} between {start.isoformat()} and {end.isoformat()}")
    else:
        out.print(f"{len(result.created)} runs {verb}, {len(result.skipped)} skipped", markup=False)
    if result.paused and result.created and not dry_run:
        err.print(
            f"[yellow]warning:[/yellow] DAG {dag_id!r} is paused: the runs wait until it is unpaused", markup=True
        )
    if wait_ and result.created and not dry_run:
        states = wait(dag_id, [run.run_id for run in result.created], out, poll_interval)
        failed = sorted(run_id for run_id, state in states.items() if state != "success")
        if failed:
            err.print(f"{len(failed)} runs did not succeed: {', '.join(failed)}", markup=False)
            raise typer.Exit(1)


def _date(value: str) -> datetime:
    parsed = parse_date(value)
    if parsed is None:  # only for None, which typer never passes for a required option
        raise typer.BadParameter("a date is required")
    return parsed


def _pause(dag_id: str, paused: bool, dags_folder: DagsFolder) -> None:
    from dagmap.services.dags import set_paused

    with transaction() as session:
        before = set_paused(session, dag_id, paused, dags_folder=folder(dags_folder))
    word = "paused" if paused else "unpaused"
    out.print(f"DAG {dag_id} {word}" + (" (it already was)" if before == paused else ""), markup=False)


@dags_app.command("pause")
def dags_pause(dag_id: str, dags_folder: DagsFolder = None) -> None:
    """Pause a DAG: the scheduler neither creates nor runs its runs until it is unpaused."""
    _pause(dag_id, True, dags_folder)


@dags_app.command("unpause")
def dags_unpause(dag_id: str, dags_folder: DagsFolder = None) -> None:
    """Unpause a DAG."""
    _pause(dag_id, False, dags_folder)


@dags_app.command("state")
def dags_state(
    dag_id: str,
    run_id: Annotated[str, typer.Argument(help="Run id, or the run's logical date.")],
    as_json: JsonOption = False,
) -> None:
    """Print the state of a DAG run."""
    from dagmap.services.dags import find_run

    with transaction() as session:
        run = find_run(session, dag_id, run_id)
    if as_json:
        sys.stdout.write(json.dumps(run.to_json()) + "\n")
    else:
        out.print(run.state, markup=False)


@dags_app.command("list-runs")
def dags_list_runs(
    dag_id: str,
    state: Annotated[str | None, typer.Option("--state", help="Only runs in this state.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many (newest first).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The DAG's runs, newest first."""
    from dagmap.services.runs import list_runs

    with transaction() as session:
        runs = list_runs(session, dag_id, state=state, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps([run.to_json() for run in runs]) + "\n")
        return
    out.print(_runs_table(runs))


def _runs_table(runs: list[RunSummary]) -> Table:
    found = table("run_id", "state", "run_type", "logical_date", "start_date", "end_date")
    for run in runs:
        found.add_row(
            run.run_id, run.state, run.run_type, iso(run.logical_date), when(run.start_date), when(run.end_date)
        )
    return found


@dags_app.command("delete-run")
def dags_delete_run(
    dag_id: str,
    run_id: Annotated[str, typer.Argument(help="Run id, or the run's logical date.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a DAG run with its task instances, tries, XComs (object store included) and rendered fields.
    Refused while any of its instances is queued or running."""
    from dagmap.services.runs import delete_run

    if not yes and not typer.confirm(f"Delete DAG run {run_id} of {dag_id} and everything it stored?"):
        fail("nothing deleted", code=1)
    try:
        from dagmap.store import db

        db.migrate()
        deleted = delete_run(dag_id, run_id)
    except DagmapError as error:
        fail(error)
    objects = f", and {deleted.objects} XCom object(s) from the object store" if deleted.objects else ""
    out.print(f"deleted DAG run {deleted.run.run_id} of {dag_id}{objects}", markup=False)
