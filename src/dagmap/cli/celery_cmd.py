"""``dagmap celery ...``: run Celery workers for the CeleryExecutor (wiring only; Celery is imported lazily)."""

from __future__ import annotations

from typing import Annotated

import typer

celery_app = typer.Typer(no_args_is_help=True, help="Celery workers for the CeleryExecutor.")


@celery_app.command("worker")
def worker(
    queues: Annotated[
        str | None, typer.Option("--queues", "-q", help="Comma-separated queues (default: celery.default_queue).")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-c", help="Pool processes (default: celery.worker_concurrency).")
    ] = None,
    hostname: Annotated[str | None, typer.Option("--hostname", "-n", help="Worker name, e.g. w1@%h.")] = None,
    loglevel: Annotated[str, typer.Option("--loglevel", "-l", help="DEBUG, INFO, WARNING, ERROR.")] = "INFO",
    runner: Annotated[str | None, typer.Option("--runner", hidden=True, help="module:function (tests).")] = None,
) -> None:
    """Start a Celery worker (prefork pool) that runs dagmap task instances from the given queues."""
    from dagmap.executors.celery.worker import run_worker

    names = [name.strip() for name in queues.split(",") if name.strip()] if queues else None
    run_worker(queues=names, concurrency=concurrency, hostname=hostname, loglevel=loglevel, runner=runner)
