"""Asset events through ``dags test`` and the scheduler's run creation, on SQLite and PostgreSQL: a mapped
producer records one event per successful instance (none for failed ones) with the extras its tasks set, in
a handful of statements; consumer DAGs are queued, triggered once their condition holds, and consume the events.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, select

from dagmap.model.from_sdk import dag_to_spec
from dagmap.services.dag_test import run_dag_test
from dagmap.services.loading import find_dag
from dagmap.store import db
from dagmap.store.orm import AssetDagRunQueueRow, AssetEventRow
from dagmap.store.queries import assets, serialized_dags

DAGS = """
from datetime import datetime

from dagmap import DAG, Asset, task
from dagmap.datasets import Dataset

A = Asset("s3://bucket/a.csv", name="a")
B = Dataset("file:///data/b")
C = Asset("s3://bucket/c")

with DAG("producer", schedule=None, start_date=datetime(2024, 1, 1)):
    @task(outlets=[A])
    def part(n):
        if n == 2:
            raise ValueError("no part 2")
        return n

    @task(outlets=[B])
    def summary(outlet_events=None):
        outlet_events[B].extra = {"rows": 5}
        outlet_events["s3://bucket/c"].extra = {"ignored": True}  # not an outlet: no event

    part.partial().expand(n=[1, 2, 3])
    summary()

with DAG("needs_both", schedule=A & B, start_date=datetime(2024, 1, 1)):
    @task
    def consume():
        pass
    consume()

with DAG("needs_either", schedule=A | C, start_date=datetime(2024, 1, 1)):
    @task
    def either():
        pass
    either()

with DAG("needs_c", schedule=[C], start_date=datetime(2024, 1, 1)):
    @task
    def never():
        pass
    never()
"""


def _store(folder: Path, *dag_ids: str) -> None:
    with db.session_factory()() as session, session.begin():
        for dag_id in dag_ids:
            serialized_dags.upsert(session, dag_to_spec(find_dag(dag_id, folder)))


def test_a_mapped_producer_records_one_event_per_successful_instance(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS))
    _store(folder, "needs_both", "needs_either", "needs_c")

    report = run_dag_test("producer", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    states = {(ti.task_id, ti.map_index): ti.state for ti in report.task_instances}
    assert states == {("part", 0): "success", ("part", 1): "failed", ("part", 2): "success", ("summary", -1): "success"}

    with db.session_factory()() as session:
        a_events = assets.events_of(session, "s3://bucket/a.csv", limit=10)
        b_events = assets.events_of(session, "file:///data/b", limit=10)
        assert assets.events_of(session, "s3://bucket/c", limit=10) == []
        queued = {(row.target_dag_id, row.asset_id) for row in session.scalars(select(AssetDagRunQueueRow))}
    assert sorted((e.source_task_id, e.source_map_index) for e in a_events) == [("part", 0), ("part", 2)]
    assert {e.source_dag_id for e in a_events} == {"producer"} and a_events[0].name == "a"
    assert [(e.source_task_id, e.source_map_index, e.extra) for e in b_events] == [("summary", -1, {"rows": 5})]
    assert {dag_id for dag_id, _ in queued} == {"needs_both", "needs_either"}


def test_ten_thousand_mapped_outlet_events_take_a_handful_of_statements(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS))
    _store(folder, "needs_both", "needs_either")
    from dagmap.store.queries.assets import NewAssetEvent

    now = datetime.now(UTC)
    events = [NewAssetEvent("s3://bucket/a.csv", now, {"i": i}, "producer", "run", "part", i) for i in range(10_000)]
    engine = db.get_engine(db_url)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with db.session_factory()() as session, session.begin():
            assets.record_events(session, events)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # asset ids, (a missing asset,) the events (one executemany), the DAGs scheduled on them, the queue upsert
    issued = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(issued) <= 6, issued
    with db.session_factory()() as session:
        assert session.scalar(select(func.count()).select_from(AssetEventRow)) == 10_000
        assert session.scalar(select(func.count()).select_from(AssetDagRunQueueRow)) == 2
