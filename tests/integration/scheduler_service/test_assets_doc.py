"""The example of docs/assets.md, run through a real ``dagmap scheduler`` (SQLite): the report runs once both
producers ran, and returns what the doc shows; the documented ``assets`` commands print what they say."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from service_harness import ServiceProcess, dag_stored, query, run_state, service_env, trigger, wait_until
from sqlalchemy import select
from typer.testing import CliRunner

from dagmap.cli.main import app
from dagmap.store.orm import DagRunRow
from dagmap.store.queries import xcom

DOC = Path(__file__).resolve().parents[3] / "docs" / "assets.md"


def _block(title: str, language: str) -> str:
    match = re.search(rf"<!-- tested: {title} -->\n```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert match is not None, title
    return match.group(1)


def _report_runs(url: str) -> list[tuple[str, str]]:
    rows = query(url, lambda s: s.execute(
        select(DagRunRow.run_id, DagRunRow.state).where(DagRunRow.dag_id == "revenue_report")
    ).all())  # fmt: skip
    return [tuple(row) for row in rows]


def test_the_assets_doc_example_runs(sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    url = sqlite_url
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "shop.py").write_text(_block("the DAG file", "python"))
    scheduler = services(["scheduler"], service_env(url, tmp_path, folder))
    names = ("extract_orders", "update_prices", "revenue_report")
    wait_until(lambda: all(dag_stored(url, d) for d in names), timeout=60, what="the DAGs parsed", watch=[scheduler])

    for dag_id in ("extract_orders", "update_prices"):
        run = trigger(url, dag_id)
        wait_until(lambda d=dag_id, r=run: run_state(url, d, r) == "success", timeout=60, what=dag_id,  # type: ignore[misc]
                   watch=[scheduler])  # fmt: skip
        if dag_id == "extract_orders":
            assert _report_runs(url) == []
    wait_until(lambda: [s for _, s in _report_runs(url)] == ["success"], timeout=60, what="the report",
               watch=[scheduler])  # fmt: skip
    [(run_id, _)] = _report_runs(url)
    pushed = query(url, lambda s: xcom.get(
        s, dag_id="revenue_report", run_id=run_id, task_id="report", map_index=-1, key="return_value"
    ))  # fmt: skip
    returned, documented = json.loads(pushed), json.loads(_block("the report", "json"))
    returned["s3://shop/orders.parquet"].sort()  # instances may end in either order
    assert returned == documented

    runner = CliRunner(env={"COLUMNS": "200"})
    listed = runner.invoke(app, ["assets", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assets = {item["uri"]: item for item in json.loads(listed.stdout)}
    orders = assets["s3://shop/orders.parquet"]
    assert (orders["name"], orders["scheduled_dags"], orders["producing_tasks"], orders["events"]) == (
        "orders",
        ["revenue_report"],
        ["extract_orders.extract"],
        2,
    )
    assert orders["last_event_at"] is not None
    events = runner.invoke(app, ["assets", "events", "s3://shop/prices.parquet", "--json"])
    assert [(e["source_dag_id"], e["extra"]) for e in json.loads(events.stdout)] == [("update_prices", {"rows": 1200})]
    table = runner.invoke(app, ["assets", "list"])
    assert table.exit_code == 0 and "revenue_report" in table.stdout and "extract_orders.extract" in table.stdout
    unknown = runner.invoke(app, ["assets", "events", "s3://nowhere"])
    assert unknown.exit_code == 2 and "no asset with URI 's3://nowhere'" in unknown.stderr
