"""Relevant setups of a task (Airflow's rules over the DAG spec) and the setup constraint of trigger rules."""

from __future__ import annotations

from collections.abc import Collection

from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.scheduler.dependencies import Decision, setup_constraint
from dagmap.scheduler.setup_teardown import indirect_setups, relevant_setups, setups_and_teardowns_to_clear
from dagmap.states import TaskInstanceState

TI = TaskInstanceState


def dag(edges: list[tuple[str, str]], setups: Collection[str] = (), teardowns: Collection[str] = ()) -> DagSpec:
    ids = sorted({t for edge in edges for t in edge})
    tasks = tuple(
        TaskSpec(
            task_id=task_id,
            operator="X",
            upstream_task_ids=tuple(sorted(a for a, b in edges if b == task_id)),
            downstream_task_ids=tuple(sorted(b for a, b in edges if a == task_id)),
            is_setup=task_id in setups,
            is_teardown=task_id in teardowns,
        )
        for task_id in ids
    )
    return DagSpec(dag_id="d", fileloc="f.py", tasks=tasks)


# create >> load >> query >> delete; create >> delete; delete >> report
CLUSTER = dag(
    [("create", "load"), ("load", "query"), ("query", "delete"), ("create", "delete"), ("delete", "report")],
    setups={"create"},
    teardowns={"delete"},
)


def test_relevant_setups_are_upstream_setups_whose_teardown_is_downstream() -> None:
    assert relevant_setups(CLUSTER, "query") == {"create"}
    assert relevant_setups(CLUSTER, "load") == {"create"}
    assert relevant_setups(CLUSTER, "report") == set()  # after the teardown: the resource is gone


def test_indirect_setups_leave_out_direct_upstreams_and_teardowns() -> None:
    assert indirect_setups(CLUSTER, "query") == {"create"}
    assert indirect_setups(CLUSTER, "load") == set()  # direct: its trigger rule sees it
    assert indirect_setups(CLUSTER, "delete") == set()


def test_what_a_clear_adds() -> None:
    assert setups_and_teardowns_to_clear(CLUSTER, "query", include_downstream=False) == {"create", "delete"}
    assert setups_and_teardowns_to_clear(CLUSTER, "create", include_downstream=False) == {"delete"}
    assert setups_and_teardowns_to_clear(CLUSTER, "create", include_downstream=True) == set()
    assert setups_and_teardowns_to_clear(CLUSTER, "delete", include_downstream=False) == set()
    assert setups_and_teardowns_to_clear(CLUSTER, "report", include_downstream=False) == set()


def test_a_setup_without_teardown_is_relevant_to_everything_after_it() -> None:
    spec = dag([("s", "a"), ("a", "b")], setups={"s"})
    assert relevant_setups(spec, "b") == {"s"} and indirect_setups(spec, "b") == {"s"}


def test_setup_constraint() -> None:
    assert setup_constraint({}) is None
    assert setup_constraint({TI.SUCCESS: 3}) is None
    assert setup_constraint({TI.SUCCESS: 1, TI.REMOVED: 2}) is None
    assert setup_constraint({TI.SUCCESS: 1, TI.FAILED: 1}) is Decision.UPSTREAM_FAILED
    assert setup_constraint({TI.UPSTREAM_FAILED: 1, None: 1}) is Decision.UPSTREAM_FAILED
    assert setup_constraint({TI.SKIPPED: 1, TI.SUCCESS: 1}) is Decision.SKIP
    assert setup_constraint({TI.SUCCESS: 1, TI.RUNNING: 1}) is Decision.WAIT
    assert setup_constraint({None: 1}) is Decision.WAIT
