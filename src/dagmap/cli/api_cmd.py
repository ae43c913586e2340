"""``dagmap api-server`` (alias ``webserver``): the REST API and web UI in one uvicorn process (wiring to
``dagmap.api.server``)."""

from __future__ import annotations

from typing import Annotated

import typer

from dagmap.errors import DagmapError

HostOption = Annotated[str | None, typer.Option("--host", "-H", help="Address to listen on (default: api.host).")]
PortOption = Annotated[int | None, typer.Option("--port", "-p", help="Port to listen on (default: api.port).")]


def api_server(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the REST API under /api/v1 and the web UI under / until Ctrl-C (migrates the database first)."""
    from dagmap.api.server import serve
    from dagmap.cli.scheduler_cmd import _configure_logging, err

    _configure_logging()
    try:
        serve(host=host, port=port)
    except DagmapError as error:
        err.print(f"[red]error:[/red] {error}", markup=True)
        raise typer.Exit(1) from error


def register(app: typer.Typer) -> None:
    app.command("api-server")(api_server)
    app.command("webserver", help="Alias of api-server.")(api_server)
