"""``dagmap pools set|get|list|delete``: pools in the metadata database (wiring only).

Exit codes: 0 success, 2 bad input (unknown pool, negative slots, deleting the default pool).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from dagmap.cli.main import app, out
from dagmap.cli.runs_cmd import table, transaction
from dagmap.services.pools import PoolInfo

pools_app = typer.Typer(no_args_is_help=True, help="Pools: named sets of slots that limit running instances.")
app.add_typer(pools_app, name="pools")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _table(pools: list[PoolInfo]) -> Table:
    found = table("pool", "slots", "occupied", "open", "description")
    for pool in pools:
        found.add_row(pool.name, str(pool.slots), str(pool.occupied), str(pool.open), pool.description or "")
    return found


@pools_app.command("set")
def pools_set(
    name: str,
    slots: int,
    description: Annotated[str | None, typer.Argument(help="What the pool is for.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a pool or change its slots (and description)."""
    from dagmap.services.pools import set_pool

    with transaction() as session:
        pool = set_pool(session, name, slots, description)
    if as_json:
        sys.stdout.write(json.dumps(pool.to_json()) + "\n")
    else:
        out.print(f"pool {pool.name}: {pool.slots} slots", markup=False)


@pools_app.command("get")
def pools_get(name: str, as_json: JsonOption = False) -> None:
    """One pool with its slots in use."""
    from dagmap.services.pools import get_pool

    with transaction() as session:
        pool = get_pool(session, name)
    if as_json:
        sys.stdout.write(json.dumps(pool.to_json()) + "\n")
    else:
        out.print(_table([pool]))


@pools_app.command("list")
def pools_list(as_json: JsonOption = False) -> None:
    """Every pool with its slots in use (queued and running instances)."""
    from dagmap.services.pools import list_pools

    with transaction() as session:
        pools = list_pools(session)
    if as_json:
        sys.stdout.write(json.dumps([pool.to_json() for pool in pools]) + "\n")
    else:
        out.print(_table(pools))


@pools_app.command("delete")
def pools_delete(name: str) -> None:
    """Delete a pool (not default_pool). Instances that name it wait until a pool of that name exists."""
    from dagmap.services.pools import delete_pool

    with transaction() as session:
        delete_pool(session, name)
    out.print(f"pool {name} deleted", markup=False)
