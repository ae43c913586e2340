"""examples/dags/asset_pipeline.py: the producer's run updates ``orders`` once (after its mapped extracts), a
scheduler step creates one ``orders_report`` run, and the report reads the event's extra. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import manage_harness
from sqlalchemy import select

from dagmap.model.from_sdk import dag_to_spec
from dagmap.scheduler import maintenance
from dagmap.services.dag_test import run_dag_test
from dagmap.services.loading import find_dag
from dagmap.store import db
from dagmap.store.orm import DagRunRow
from dagmap.store.queries import serialized_dags, xcom

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "dags"


def test_the_report_runs_once_the_orders_are_published(db_url: str) -> None:
    with db.session_factory()() as session, session.begin():
        serialized_dags.upsert(session, dag_to_spec(find_dag("orders_report", EXAMPLES)))
    produced = run_dag_test("orders_extract", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=EXAMPLES)
    assert produced.state == "success"
    assert {ti.task_id: ti.return_value for ti in produced.task_instances if ti.map_index == -1} == {"publish": 245}
    with db.session_factory().begin() as session:
        assert maintenance.create_asset_triggered_runs(session, datetime.now(UTC) + timedelta(seconds=1)) == 1
        (run_id,) = session.scalars(select(DagRunRow.run_id).where(DagRunRow.dag_id == "orders_report"))
    assert manage_harness.drive("orders_report", run_id, EXAMPLES) == {run_id: "success"}
    with db.session_factory()() as session:
        value = xcom.get(
            session, dag_id="orders_report", run_id=run_id, task_id="report", map_index=-1, key="return_value"
        )
    assert value is not None and json.loads(value) == {"updates": 1, "rows": 245}
