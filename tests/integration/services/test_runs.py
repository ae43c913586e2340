"""Triggering, backfilling, pausing, listing and waiting for runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from manage_harness import drive, instances, step_loop

from dagmap.errors import DagmapError, DagNotFound, DagRunAlreadyExists, DagRunNotFound, ParamValidationError
from dagmap.services import dags, runs
from dagmap.store import db
from dagmap.store.queries import jobs, serialized_dags

Folder = Callable[..., Path]


def day(n: int) -> datetime:
    return datetime(2024, 1, n, tzinfo=UTC)


def test_trigger_creates_a_queued_manual_run_from_the_parsed_dag(db_url: str, folder: Folder) -> None:
    dags_folder = folder("daily_params")
    with db.session_scope() as session:
        assert "daily_params" not in serialized_dags.load_many(session, ["daily_params"])
        triggered = runs.trigger_dag_run(
            session, "daily_params", conf={"n": 3}, logical_date=day(5), dags_folder=dags_folder
        )
    run = triggered.run
    assert (run.run_id, run.state, run.run_type) == ("manual__2024-01-05T00:00:00+00:00", "queued", "manual")
    assert (run.data_interval_start, run.data_interval_end) == (day(4), day(5))  # the interval ending then
    assert run.conf == {"n": 3} and not triggered.paused
    assert drive("daily_params", run.run_id, dags_folder) == {run.run_id: "success"}
    assert sorted(i for t, i in instances("daily_params", run.run_id) if t == "double") == [0, 1, 2]


def test_trigger_refuses_bad_conf_and_taken_run_ids_without_writing(db_url: str, folder: Folder) -> None:
    dags_folder = folder("daily_params")
    with db.session_scope() as session:
        runs.trigger_dag_run(session, "daily_params", run_id="mine", dags_folder=dags_folder)
    with db.session_scope() as session:
        with pytest.raises(ParamValidationError) as error:
            runs.trigger_dag_run(session, "daily_params", conf={"n": 0}, dags_folder=dags_folder)
        assert error.value.dag_id == "daily_params" and error.value.argument == "n"
        with pytest.raises(DagRunAlreadyExists, match="'mine' already exists"):
            runs.trigger_dag_run(session, "daily_params", run_id="mine")
        with pytest.raises(DagmapError, match="invalid run id"):
            runs.trigger_dag_run(session, "daily_params", run_id="has space")
        with pytest.raises(DagNotFound):
            runs.trigger_dag_run(session, "not_there", dags_folder=dags_folder)
        with pytest.raises(DagNotFound, match="not in the database"):
            runs.trigger_dag_run(session, "not_there")
        assert [r.run_id for r in runs.list_runs(session, "daily_params")] == ["mine"]


def test_backfill_creates_one_run_per_interval_and_skips_dates_that_have_one(db_url: str, folder: Folder) -> None:
    dags_folder = folder("daily_params")
    with db.session_scope() as session:
        runs.trigger_dag_run(session, "daily_params", logical_date=day(3), dags_folder=dags_folder)
    with db.session_scope() as session:
        preview = runs.backfill(session, "daily_params", start=day(1), end=day(5), dry_run=True)
        assert [r.logical_date for r in preview.created] == [day(1), day(2), day(4), day(5)]
        assert runs.list_runs(session, "daily_params", state="queued")[0].run_type == "manual"
    with db.session_scope() as session:
        result = runs.backfill(session, "daily_params", start=day(1), end=day(5), conf={"n": 1})
    assert [r.run_id for r in result.created] == [f"backfill__2024-01-0{n}T00:00:00+00:00" for n in (1, 2, 4, 5)]
    assert result.skipped == [(day(3), "manual__2024-01-03T00:00:00+00:00")]
    assert {(r.run_type, r.state) for r in result.created} == {("backfill", "queued")}
    first = result.created[0]
    assert (first.data_interval_start, first.data_interval_end) == (day(1), day(2))
    with db.session_scope() as session:
        again = runs.backfill(session, "daily_params", start=day(1), end=day(5))
        assert not again.created and len(again.skipped) == 5
        # the range is cut to the DAG's own start date: nothing before 2024-01-01
        cut = runs.backfill(session, "daily_params", start=day(1) - timedelta(days=9), end=day(1), dry_run=True)
        assert not cut.created and [date for date, _ in cut.skipped] == [day(1)]
    states = drive("daily_params", [r.run_id for r in result.created], dags_folder)
    assert set(states.values()) == {"success"}


def test_backfill_of_an_unscheduled_dag_is_refused(db_url: str, folder: Folder) -> None:
    dags_folder = folder("mapping_failed_instance")
    with db.session_scope() as session, pytest.raises(DagmapError, match="nothing to backfill"):
        runs.backfill(session, "mapping_failed_instance", start=day(1), end=day(2), dags_folder=dags_folder)


def test_pause_state_and_list_runs(db_url: str, folder: Folder) -> None:
    dags_folder = folder("daily_params")
    with db.session_scope() as session:
        assert dags.set_paused(session, "daily_params", True, dags_folder=dags_folder) is False
        assert dags.set_paused(session, "daily_params", True) is True
        triggered = runs.trigger_dag_run(session, "daily_params", logical_date=day(2))
        assert triggered.paused
        runs.trigger_dag_run(session, "daily_params", logical_date=day(3))
    with db.session_scope() as session:
        assert dags.dag_run_state(session, "daily_params", triggered.run.run_id) == "queued"
        assert dags.find_run(session, "daily_params", "2024-01-02").run_id == triggered.run.run_id
        assert [r.logical_date for r in runs.list_runs(session, "daily_params")] == [day(3), day(2)]
        assert runs.list_runs(session, "daily_params", state="success") == []
        with pytest.raises(DagmapError, match="unknown run state"):
            runs.list_runs(session, "daily_params", state="done")
        with pytest.raises(DagRunNotFound):
            dags.find_run(session, "daily_params", "2030-01-01")
        with pytest.raises(DagNotFound):
            dags.find_run(session, "nope", "x")
        assert dags.set_paused(session, "daily_params", False) is True


def test_wait_polls_until_the_run_ends_and_warns_once_without_a_scheduler(db_url: str, folder: Folder) -> None:
    dags_folder = folder("mapping_failed_instance")
    with db.session_scope() as session:
        run_id = runs.trigger_dag_run(session, "mapping_failed_instance", dags_folder=dags_folder).run.run_id
    warnings: list[str] = []
    seen: list[tuple[str, str]] = []
    step = step_loop("mapping_failed_instance", dags_folder)
    states = runs.wait_for_runs(
        "mapping_failed_instance",
        [run_id],
        poll_interval=0,
        sleep=lambda _seconds: step(),
        on_progress=lambda r, state, counts: seen.append((state, str(sorted(counts)))),
        on_no_scheduler=lambda: warnings.append("none"),
    )
    assert states == {run_id: "failed"}
    assert warnings == ["none"]
    assert seen[0][0] == "queued" and seen[-1][0] == "failed"
    assert "divide" in seen[-1][1]


def test_a_heartbeating_scheduler_means_no_warning(db_url: str, folder: Folder) -> None:
    now = datetime.now(UTC)
    with db.session_scope() as session:
        assert not runs.scheduler_alive(session, now=now)
        jobs.register(session, jobs.SCHEDULER_JOB, hostname="h", pid=1, now=now - timedelta(minutes=5))
        assert not runs.scheduler_alive(session, now=now)
        jobs.register(session, jobs.SCHEDULER_JOB, hostname="h", pid=2, now=now - timedelta(seconds=1))
        assert runs.scheduler_alive(session, now=now)
        run_id = runs.trigger_dag_run(
            session, "mapping_failed_instance", dags_folder=folder("mapping_failed_instance")
        ).run.run_id
    warnings: list[str] = []
    states = runs.wait_for_runs(
        "mapping_failed_instance", [run_id], timeout=0, on_no_scheduler=lambda: warnings.append("x")
    )
    assert states == {run_id: "queued"} and warnings == []
    with pytest.raises(DagRunNotFound):
        runs.wait_for_runs("mapping_failed_instance", ["missing"], timeout=0)
