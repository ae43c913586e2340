"""Asset events through ``dags test`` and the scheduler's run creation, on SQLite and PostgreSQL: a mapped
producer records one event per successful instance (none for failed ones, nor for a try whose extra is not
JSON) with the extras its tasks set, in
a handful of statements; consumer DAGs are queued, triggered once their condition holds, and consume the events.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text, update

from dagmap.model.from_sdk import dag_to_spec
from dagmap.scheduler import maintenance
from dagmap.services.dag_test import run_dag_test
from dagmap.services.loading import find_dag
from dagmap.store import db
from dagmap.store.orm import AssetDagRunQueueRow, AssetEventRow, DagRunAssetEventRow, DagRunRow
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

    @task(outlets=[C])
    def bad_extra(outlet_events=None):
        outlet_events[C].extra = {"when": object()}  # not JSON: the try fails, no event

    part.partial().expand(n=[1, 2, 3])
    summary()
    bad_extra()

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


def test_a_mapped_producer_queues_consumers_that_run_once_their_condition_holds(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS))
    _store(folder, "needs_both", "needs_either", "needs_c")

    report = run_dag_test("producer", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    states = {(ti.task_id, ti.map_index): ti.state for ti in report.task_instances}
    assert states == {
        ("part", 0): "success",
        ("part", 1): "failed",
        ("part", 2): "success",
        ("summary", -1): "success",
        ("bad_extra", -1): "failed",
    }

    with db.session_factory()() as session:
        a_events = assets.events_of(session, "s3://bucket/a.csv", limit=10)
        b_events = assets.events_of(session, "file:///data/b", limit=10)
        assert assets.events_of(session, "s3://bucket/c", limit=10) == []
        queued = {(row.target_dag_id, row.asset_id) for row in session.scalars(select(AssetDagRunQueueRow))}
    assert sorted((e.source_task_id, e.source_map_index) for e in a_events) == [("part", 0), ("part", 2)]
    assert {e.source_dag_id for e in a_events} == {"producer"} and a_events[0].name == "a"
    assert [(e.source_task_id, e.source_map_index, e.extra) for e in b_events] == [("summary", -1, {"rows": 5})]
    assert {dag_id for dag_id, _ in queued} == {"needs_both", "needs_either"}

    sessions = db.session_factory()
    now = datetime.now(UTC) + timedelta(seconds=1)
    with sessions.begin() as session:
        assert maintenance.create_asset_triggered_runs(session, now) == 2
    with sessions.begin() as session:
        assert maintenance.create_asset_triggered_runs(session, now + timedelta(seconds=1)) == 0  # consumed
        runs = {r.dag_id: r for r in session.scalars(select(DagRunRow).where(DagRunRow.run_type == "asset_triggered"))}
        assert set(runs) == {"needs_both", "needs_either"}
        both = runs["needs_both"]
        assert both.run_id == f"asset_triggered__{now.isoformat()}" and both.logical_date == now
        linked = assets.triggering_events(session, "needs_both", both.run_id)
        assert sorted((e.uri, e.source_map_index) for e in linked) == [
            ("file:///data/b", -1),
            ("s3://bucket/a.csv", 0),
            ("s3://bucket/a.csv", 2),
        ]
        assert both.data_interval_start == min(e.timestamp for e in linked)
        assert both.data_interval_end == max(e.timestamp for e in linked)
        either = assets.triggering_events(session, "needs_either", runs["needs_either"].run_id)
        assert sorted(e.source_map_index for e in either) == [0, 2]
        assert session.scalar(select(func.count()).select_from(AssetDagRunQueueRow)) == 0


def test_a_paused_consumer_keeps_its_queue_and_runs_when_unpaused(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS))
    _store(folder, "needs_either")
    sessions = db.session_factory()
    from dagmap.store.queries import dags

    with sessions.begin() as session:
        dags.set_paused(session, "needs_either", True)
    run_dag_test("producer", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    now = datetime.now(UTC) + timedelta(seconds=1)
    with sessions.begin() as session:
        assert maintenance.create_asset_triggered_runs(session, now) == 0
        assert session.scalar(select(func.count()).select_from(AssetDagRunQueueRow)) == 1
        dags.set_paused(session, "needs_either", False)
    with sessions.begin() as session:
        assert maintenance.create_asset_triggered_runs(session, now) == 1
        assert session.scalar(select(func.count()).select_from(DagRunAssetEventRow)) == 2


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


def test_two_schedulers_never_consume_one_dags_queue_twice(db_url: str, tmp_path: Path, database_kind: str) -> None:
    if database_kind != "postgres":
        pytest.skip("row locks are PostgreSQL's (SQLite has one writer and one scheduler)")
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS))
    _store(folder, "needs_either")
    run_dag_test("producer", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    sessions = db.session_factory()
    now = datetime.now(UTC) + timedelta(seconds=1)
    with sessions.begin() as first:
        assert maintenance.create_asset_triggered_runs(first, now) == 1
        with sessions.begin() as second:  # the first holds the DAG's and its queue's row locks
            assert maintenance.create_asset_triggered_runs(second, now + timedelta(seconds=1)) == 0
    with sessions.begin() as later:
        assert maintenance.create_asset_triggered_runs(later, now + timedelta(seconds=2)) == 0
        assert later.scalar(select(func.count()).select_from(DagRunRow).where(DagRunRow.dag_id == "needs_either")) == 1


def test_a_consumer_at_max_active_runs_keeps_its_queue(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS).replace(
        'schedule=A | C,', 'schedule=A | C, max_active_runs=1,'
    ))  # fmt: skip
    _store(folder, "needs_either")
    sessions = db.session_factory()
    run_dag_test("producer", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    now = datetime.now(UTC) + timedelta(seconds=1)
    with sessions.begin() as session:
        assert maintenance.create_asset_triggered_runs(session, now) == 1
    run_dag_test("producer", logical_date=datetime(2024, 1, 2, tzinfo=UTC), dags_folder=folder)
    with sessions.begin() as session:  # the first run is still queued: no second one yet
        assert maintenance.create_asset_triggered_runs(session, now + timedelta(seconds=5)) == 0
        assert session.scalar(select(func.count()).select_from(AssetDagRunQueueRow)) == 1
        session.execute(update(DagRunRow).where(DagRunRow.dag_id == "needs_either").values(state="success"))
    with sessions.begin() as session:
        assert maintenance.create_asset_triggered_runs(session, now + timedelta(seconds=6)) == 1


def test_a_queue_row_a_worker_is_updating_waits_for_the_next_loop(
    db_url: str, tmp_path: Path, database_kind: str
) -> None:
    if database_kind != "postgres":
        pytest.skip("row locks are PostgreSQL's (SQLite has one writer)")
    from dagmap.store.queries.assets import NewAssetEvent

    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS))
    _store(folder, "needs_c")
    sessions = db.session_factory()
    now = datetime.now(UTC)

    def update_of_c(n: int) -> list[NewAssetEvent]:
        return [NewAssetEvent("s3://bucket/c", now + timedelta(seconds=n), {"n": n}, "producer", "run", "t", -1)]

    with sessions.begin() as worker:
        assets.record_events(worker, update_of_c(1))
    with sessions.begin() as worker:  # a second update: the queue row is locked until its event is committed
        assets.record_events(worker, update_of_c(2))
        with sessions.begin() as scheduler:
            scheduler.execute(text("SET LOCAL lock_timeout = '5s'"))  # a scheduler that waited would fail here
            assert maintenance.create_asset_triggered_runs(scheduler, now + timedelta(seconds=3)) == 0
    with sessions.begin() as scheduler:
        assert maintenance.create_asset_triggered_runs(scheduler, now + timedelta(seconds=4)) == 1
        [run] = scheduler.scalars(select(DagRunRow).where(DagRunRow.dag_id == "needs_c"))
        assert [e.extra for e in assets.triggering_events(scheduler, "needs_c", run.run_id)] == [{"n": 1}, {"n": 2}]


def test_a_dag_no_longer_scheduled_on_an_asset_drops_its_queue_row(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS))
    _store(folder, "needs_both")
    run_dag_test("producer", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=folder)
    with db.session_factory()() as session:
        assert session.scalar(select(func.count()).select_from(AssetDagRunQueueRow)) == 2  # A and B
    (folder / "assets_dags.py").write_text(textwrap.dedent(DAGS).replace("schedule=A & B,", "schedule=[B],"))
    _store(folder, "needs_both")
    with db.session_factory()() as session:
        summary = {s.uri: s.scheduled_dag_ids for s in assets.summaries(session)}
        assert summary["s3://bucket/a.csv"] == [] and summary["file:///data/b"] == ["needs_both"]
        assert session.scalar(select(func.count()).select_from(AssetDagRunQueueRow)) == 1  # B only
