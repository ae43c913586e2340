"""Clearing task instances on real runs (SQLite and PostgreSQL): corpus DAGs run through ``dags test``, then a
clear, then the same scheduler loop drives the run again, and only what was cleared ran again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from manage_harness import drive, instances
from sqlalchemy import event, select

from dagmap.errors import DagmapError, DagRunNotFound, TaskNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.services.dag_test import run_dag_test
from dagmap.services.tasks import ClearResult, Target, clear_task_instances
from dagmap.store import db
from dagmap.store.orm import DagRunRow, RenderedFieldsRow, TaskMapRow, XComRow
from dagmap.xcom.backends import xcom_storage_from_settings

DATE = datetime(2024, 1, 1, tzinfo=UTC)
Folder = Callable[..., Path]


def _run(dag_id: str, folder: Path) -> str:
    report = run_dag_test(dag_id, logical_date=DATE, dags_folder=folder)
    return report.run_id


def _clear(dag_id: str, targets: list[Target] | None, **options: object) -> ClearResult:
    with db.session_factory().begin() as session:
        return clear_task_instances(session, dag_id, targets, storage=xcom_storage_from_settings(), **options)  # type: ignore[arg-type]


def _cleared(result: ClearResult) -> set[tuple[str, int]]:
    return {(key.task_id, key.map_index) for key in result.instances}


def _tries(dag_id: str, run_id: str) -> dict[tuple[str, int], tuple[str | None, int]]:
    return {key: (row.state, row.try_number) for key, row in instances(dag_id, run_id).items()}


def _rows(model: type, dag_id: str, run_id: str) -> set[tuple[str, int]]:
    with db.session_factory()() as session:
        statement = select(model.task_id, model.map_index).where(model.dag_id == dag_id, model.run_id == run_id)  # type: ignore[attr-defined]
        return {(task_id, index) for task_id, index in session.execute(statement)}


def test_clearing_one_mapped_instance_reruns_only_it_and_its_dependents(db_url: str, folder: Folder) -> None:
    dags = folder("mapping_failed_instance")
    run_id = _run("mapping_failed_instance", dags)
    assert ("divide", 0) in _rows(XComRow, "mapping_failed_instance", run_id)

    result = _clear("mapping_failed_instance", [("divide", 0)], run_id=run_id)

    assert _cleared(result) == {("divide", 0), ("reduce_all_done", -1), ("reduce_default", -1)}
    assert result.requeued_runs == [run_id]
    before = _tries("mapping_failed_instance", run_id)
    assert before[("divide", 0)] == (None, 1)
    assert before[("divide", 1)] == ("failed", 1)
    assert before[("divide", 2)] == ("success", 1)
    xcoms = _rows(XComRow, "mapping_failed_instance", run_id)
    assert ("divide", 0) not in xcoms and ("reduce_all_done", -1) not in xcoms
    assert ("divide", 2) in xcoms
    assert ("divide", 0) not in _rows(RenderedFieldsRow, "mapping_failed_instance", run_id)
    assert ("divide", 2) in _rows(RenderedFieldsRow, "mapping_failed_instance", run_id)

    assert drive("mapping_failed_instance", run_id, dags) == {run_id: "failed"}
    after = _tries("mapping_failed_instance", run_id)
    assert after[("divide", 0)] == ("success", 2)
    assert after[("divide", 1)] == ("failed", 1)  # not cleared: not run again
    assert after[("divide", 2)] == ("success", 1)
    assert after[("reduce_all_done", -1)] == ("success", 2)
    assert after[("reduce_default", -1)][0] == "upstream_failed"
    report = run_report("mapping_failed_instance", run_id)
    assert report[("reduce_all_done", -1)] == [10.0, 5.0]


def run_report(dag_id: str, run_id: str) -> dict[tuple[str, int], object]:
    from dagmap.services.dag_test import build_report
    from dagmap.store.runtime_client import DirectRuntimeClient

    client = DirectRuntimeClient(db.session_factory(), xcom_storage_from_settings())
    return {(ti.task_id, ti.map_index): ti.return_value for ti in build_report(dag_id, run_id, client).task_instances}


def test_clearing_inside_a_mapped_group_touches_only_that_index(db_url: str, folder: Folder) -> None:
    dags = folder("mapping_task_group")
    run_id = _run("mapping_task_group", dags)

    result = _clear("mapping_task_group", [("pipeline.check", 1)], run_id=run_id)

    # the group's other indexes and pipeline.label (not downstream of check) stay as they are
    assert _cleared(result) == {
        ("pipeline.check", 1),
        ("pipeline.scale", 1),
        ("summary", -1),
        ("summary_all_done", -1),
    }
    assert drive("mapping_task_group", run_id, dags) == {run_id: "failed"}
    after = _tries("mapping_task_group", run_id)
    assert after[("pipeline.check", 1)] == ("failed", 2)
    assert after[("pipeline.scale", 1)][0] == "upstream_failed"
    for index in (0, 2):
        assert after[("pipeline.check", index)] == ("success", 1)
        assert after[("pipeline.scale", index)] == ("success", 1)
    for index in (0, 1, 2):
        assert after[("pipeline.label", index)] == ("success", 1)


def test_a_shorter_re_expansion_marks_the_surplus_removed(db_url: str, folder: Folder) -> None:
    dags = folder("clear_shrinking")
    run_id = _run("clear_shrinking", dags)
    assert run_report("clear_shrinking", run_id)[("total", -1)] == 100
    assert ("produce", -1) in _rows(TaskMapRow, "clear_shrinking", run_id)

    result = _clear("clear_shrinking", ["produce"], run_id=run_id)

    assert _cleared(result) == {("produce", -1), ("total", -1)} | {("consume", i) for i in range(5)}
    assert ("produce", -1) not in _rows(TaskMapRow, "clear_shrinking", run_id)
    assert drive("clear_shrinking", run_id, dags) == {run_id: "success"}
    after = _tries("clear_shrinking", run_id)
    assert [after[("consume", i)] for i in range(3)] == [("success", 2)] * 3
    assert [after[("consume", i)][0] for i in (3, 4)] == ["removed", "removed"]
    assert run_report("clear_shrinking", run_id)[("total", -1)] == 30


def test_clearing_a_mapped_upstream_expands_its_mapped_downstream_again(db_url: str, folder: Folder) -> None:
    dags = folder("mapping_mapped_over_mapped")
    run_id = _run("mapping_mapped_over_mapped", dags)

    result = _clear("mapping_mapped_over_mapped", [("first", 0)], run_id=run_id)

    assert _cleared(result) == {("first", 0), ("second", 0), ("second", 1), ("total", -1)}
    assert drive("mapping_mapped_over_mapped", run_id, dags) == {run_id: "success"}
    after = _tries("mapping_mapped_over_mapped", run_id)
    assert after[("first", 0)] == ("success", 2)
    assert after[("first", 2)] == ("success", 1)
    assert after[("second", 0)] == ("success", 2)
    assert run_report("mapping_mapped_over_mapped", run_id)[("total", -1)] == 42


def test_only_failed_clears_failed_instances_and_failed_dependents(db_url: str, folder: Folder) -> None:
    dags = folder("mapping_failed_instance")
    run_id = _run("mapping_failed_instance", dags)

    result = _clear("mapping_failed_instance", None, only_failed=True)

    assert _cleared(result) == {("divide", 1), ("reduce_default", -1)}
    with db.session_factory()() as session:
        run = session.execute(select(DagRunRow).where(DagRunRow.run_id == run_id)).scalar_one()
        assert (run.state, run.clear_number, run.end_date) == ("queued", 1, None)
    assert drive("mapping_failed_instance", run_id, dags) == {run_id: "failed"}
    after = _tries("mapping_failed_instance", run_id)
    assert after[("divide", 1)] == ("failed", 2)
    assert after[("divide", 0)] == ("success", 1)
    assert after[("reduce_all_done", -1)] == ("success", 1)


def test_cleared_instances_get_their_retries_again(db_url: str, folder: Folder) -> None:
    dags = folder("mapping_retries")
    run_id = _run("mapping_retries", dags)
    assert _tries("mapping_retries", run_id)[("flaky", 1)] == ("success", 2)

    _clear("mapping_retries", [("flaky", 1)], run_id=run_id)

    row = instances("mapping_retries", run_id)[("flaky", 1)]
    assert (row.state, row.try_number, row.max_tries) == (None, 2, 3)  # try_number + retries (1)
    assert drive("mapping_retries", run_id, dags) == {run_id: "success"}
    assert _tries("mapping_retries", run_id)[("flaky", 1)] == ("success", 3)
    assert run_report("mapping_retries", run_id)[("flaky", 1)] == "2 on try 3"


def test_no_downstream_and_dry_run(db_url: str, folder: Folder) -> None:
    dags = folder("mapping_failed_instance")
    run_id = _run("mapping_failed_instance", dags)
    before = _tries("mapping_failed_instance", run_id)

    preview = _clear("mapping_failed_instance", [("divide", 0)], run_id=run_id, dry_run=True)
    assert _cleared(preview) == {("divide", 0), ("reduce_all_done", -1), ("reduce_default", -1)}
    assert _tries("mapping_failed_instance", run_id) == before
    assert ("divide", 0) in _rows(XComRow, "mapping_failed_instance", run_id)

    result = _clear("mapping_failed_instance", [("divide", 0)], run_id=run_id, include_downstream=False)
    assert result.instances == [TaskInstanceKey("mapping_failed_instance", run_id, "divide", 0)]


def test_clearing_deletes_object_store_files(
    db_url: str, folder: Folder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagmap.config import reset_settings

    store = tmp_path / "xcom"
    monkeypatch.setenv("DAGMAP__CORE__XCOM_BACKEND", "object_store")
    monkeypatch.setenv("DAGMAP__CORE__XCOM_OBJECT_STORE_THRESHOLD", "0")
    monkeypatch.setenv("DAGMAP__CORE__XCOM_OBJECT_STORE_URL", store.as_uri())
    reset_settings()
    dags = folder("mapping_failed_instance")
    run_id = _run("mapping_failed_instance", dags)

    def files(task_id: str, index: int) -> list[Path]:
        return [p for p in store.rglob("*.json") if f"/{task_id}/{index}/" in p.as_posix()]

    assert files("divide", 0) and files("divide", 2) and files("reduce_all_done", -1)
    _clear("mapping_failed_instance", [("divide", 0)], run_id=run_id)
    assert not files("divide", 0) and not files("reduce_all_done", -1)
    assert files("divide", 2)


def test_selection_errors_name_the_dag_task_and_run(db_url: str, folder: Folder) -> None:
    dags = folder("mapping_failed_instance")
    run_dag_test("mapping_failed_instance", logical_date=DATE, dags_folder=dags)
    with pytest.raises(TaskNotFound, match="no_such_task"):
        _clear("mapping_failed_instance", ["no_such_task"])
    with pytest.raises(TaskNotFound) as error:
        _clear("mapping_failed_instance", [("reduce_default", 3)])
    assert "not mapped" in str(error.value) and "reduce_default" in str(error.value)
    with pytest.raises(DagRunNotFound, match="nope"):
        _clear("mapping_failed_instance", None, run_id="nope")
    key = TaskInstanceKey("mapping_failed_instance", "r", "divide", 0)
    with pytest.raises(DagmapError, match="task id or \\[task_id, map_index\\]"):
        _clear("mapping_failed_instance", [key])  # type: ignore[list-item]
    assert _cleared(_clear("mapping_failed_instance", [["divide", 2]], dry_run=True)) >= {("divide", 2)}


def test_a_clear_costs_the_same_statements_for_10_and_1000_instances(db_url: str, specs) -> None:  # type: ignore[no-untyped-def]
    from dagmap.states import TaskInstanceState
    from dagmap.store.queries import dag_runs, serialized_dags, task_instances

    def statements(count: int, scattered: bool) -> int:
        dag_id = f"wide_{count}_{scattered}"
        spec = specs.dag(dag_id, specs.task("m", expand=specs.literal(count), retries=1), specs.task("z", "m"))
        with db.session_factory().begin() as session:
            serialized_dags.upsert(session, spec)
            dag_runs.create_dag_run(session, spec, run_id="r")
            every = [None, *TaskInstanceState]
            task_instances.set_states(session, dag_id, "r", ["m", "z"], TaskInstanceState.FAILED, from_states=every)
            dag_runs.set_dag_run_state(session, dag_id, "r", "failed")
        targets: list[Target] = [("m", i) for i in range(0, count, 2)] if scattered else ["m"]
        seen: list[str] = []
        engine = db.get_engine()

        def listener(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", listener)
        try:
            result = _clear(dag_id, targets, run_id="r")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert len(result.instances) == (count // 2 if scattered else count) + 1
        row = instances(dag_id, "r")[("m", 0)]
        assert (row.state, row.max_tries) == (None, 1)
        return len(seen)

    assert statements(10, scattered=False) == statements(1000, scattered=False)
    # 500 separate indexes: more statements only per 200 index ranges, never per instance
    assert statements(1000, scattered=True) <= statements(10, scattered=True) + 12
