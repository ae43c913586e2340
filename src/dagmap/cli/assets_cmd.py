"""``dagmap assets list|events``: assets, the DAGs scheduled on them, their producers and events (wiring only).

Exit codes: 0 success, 2 bad input (an unknown URI).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from dagmap.cli.main import app, out
from dagmap.cli.runs_cmd import iso, table, transaction

assets_app = typer.Typer(no_args_is_help=True, help="Assets (datasets): what DAGs are scheduled on, and their events.")
app.add_typer(assets_app, name="assets")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@assets_app.command("list")
def assets_list(as_json: JsonOption = False) -> None:
    """Every asset: the DAGs scheduled on it, the tasks that produce it, its latest event."""
    from dagmap.services.assets import list_assets

    with transaction() as session:
        found = list_assets(session)
    if as_json:
        sys.stdout.write(json.dumps([asset.to_json() for asset in found]) + "\n")
        return
    rows = table("uri", "scheduled DAGs", "producing tasks", "last event", "events")
    for asset in found:
        rows.add_row(
            asset.uri,
            ", ".join(asset.scheduled_dags),
            ", ".join(asset.producing_tasks),
            iso(asset.last_event_at),
            str(asset.events),
        )
    out.print(rows)


@assets_app.command("events")
def assets_events(
    uri: str,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many of the latest events.")] = 25,
    as_json: JsonOption = False,
) -> None:
    """The latest events of one asset, newest first."""
    from dagmap.services.assets import asset_events, event_to_json

    with transaction() as session:
        events = asset_events(session, uri, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps([event_to_json(event) for event in events]) + "\n")
        return
    rows = table("timestamp", "source", "map index", "run", "extra")
    for event in events:
        source = f"{event.source_dag_id}.{event.source_task_id}" if event.source_dag_id else ""
        index = "" if event.source_map_index is None or event.source_map_index < 0 else str(event.source_map_index)
        rows.add_row(iso(event.timestamp), source, index, event.source_run_id or "", json.dumps(event.extra))
    out.print(rows)
