"""``dagmap scheduler``, ``dagmap dag-processor`` and ``dagmap standalone``: wiring to dagmap.services.standalone."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from rich.console import Console

from dagmap.errors import DagmapError

err = Console(stderr=True, highlight=False, soft_wrap=True)


def _configure_logging() -> None:
    from dagmap.config import get_settings

    logging.basicConfig(
        level=get_settings().logging.level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def scheduler(
    no_dag_processor: Annotated[
        bool,
        typer.Option("--no-dag-processor", help="Do not parse DAG files here (a `dagmap dag-processor` does)."),
    ] = False,
    num_runs: Annotated[
        int | None, typer.Option("--num-runs", "-n", help="Stop after this many scheduler loops.")
    ] = None,
) -> None:
    """Run the scheduler until SIGTERM or Ctrl-C: parse DAG files, create scheduled runs, queue task instances
    on the configured executor (core.executor), detect lost and stuck task instances."""
    from dagmap.services.standalone import build_scheduler

    _configure_logging()
    try:
        build_scheduler(with_dag_processor=not no_dag_processor, num_loops=num_runs).run()
    except DagmapError as error:
        err.print(f"[red]error:[/red] {error}", markup=True)
        raise typer.Exit(1) from error


def dag_processor(
    once: Annotated[bool, typer.Option("--once", help="Parse every new or changed file once, then exit.")] = False,
) -> None:
    """Keep the serialized DAGs in the database in step with the DAGs folder (for schedulers started with
    --no-dag-processor, e.g. on machines without the DAG files)."""
    from dagmap.services.standalone import run_dag_processor

    _configure_logging()
    run_dag_processor(once=once)


def standalone(
    no_api: Annotated[bool, typer.Option("--no-api", help="Do not start the API server and web UI.")] = False,
    api_host: Annotated[
        str | None, typer.Option("--api-host", help="Address of the API server (default: api.host).")
    ] = None,
    api_port: Annotated[
        int | None, typer.Option("--api-port", help="Port of the API server (default: api.port, 8080).")
    ] = None,
) -> None:
    """Everything on one machine: migrate the database, load the DAGs folder, serve the REST API and web UI,
    run the scheduler with the LocalExecutor. Ctrl-C stops it (exit 0)."""
    from dagmap.services.standalone import Component, run_standalone

    _configure_logging()
    components: list[Component] = []
    if not no_api:
        from dagmap.api.server import ApiServerComponent

        components.append(ApiServerComponent(host=api_host, port=api_port))
    try:
        run_standalone(components=components, out=lambda line: print(line, flush=True))
    except KeyboardInterrupt:  # before the scheduler took over Ctrl-C (while migrating or parsing)
        err.print("interrupted")
    except DagmapError as error:
        err.print(f"[red]error:[/red] {error}", markup=True)
        raise typer.Exit(1) from error


def register(app: typer.Typer) -> None:
    app.command("scheduler")(scheduler)
    app.command("dag-processor")(dag_processor)
    app.command("standalone")(standalone)
