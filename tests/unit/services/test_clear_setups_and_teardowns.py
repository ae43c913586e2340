"""Which setups and teardowns a clear adds to the tasks asked for (Airflow's ``DAG.partial_subset`` rules)."""

from __future__ import annotations

from collections.abc import Collection

from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.services.tasks import with_setups_and_teardowns


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


# create >> query >> delete, create >> delete; other >> query (a plain upstream, never added)
CLUSTER = dag(
    [("create", "query"), ("query", "delete"), ("create", "delete"), ("other", "query")],
    setups={"create"},
    teardowns={"delete"},
)


def test_clearing_the_work_adds_its_setup_and_teardown_whole() -> None:
    assert with_setups_and_teardowns(CLUSTER, {"query": frozenset({2})}) == {
        "query": frozenset({2}),
        "create": None,
        "delete": None,
    }


def test_clearing_a_setup_without_its_downstream_adds_its_teardown() -> None:
    assert with_setups_and_teardowns(CLUSTER, {"create": None}, include_downstream=False) == {
        "create": None,
        "delete": None,
    }
    # with its downstream, the teardown comes as a downstream task of what was cleared
    assert with_setups_and_teardowns(CLUSTER, {"create": None}) == {"create": None}


def test_clearing_a_teardown_adds_nothing() -> None:
    assert with_setups_and_teardowns(CLUSTER, {"delete": None}) == {"delete": None}


def test_a_setup_whose_teardowns_are_not_downstream_of_the_task_is_not_relevant() -> None:
    # s1 >> a >> t1; s1 >> t1; t1 >> b (b is after the teardown: s1's resource is gone, clearing b keeps it so)
    spec = dag([("s1", "a"), ("a", "t1"), ("s1", "t1"), ("t1", "b")], setups={"s1"}, teardowns={"t1"})
    assert with_setups_and_teardowns(spec, {"b": None}) == {"b": None}


def test_a_setup_without_teardown_is_always_relevant() -> None:
    spec = dag([("s", "a"), ("a", "b")], setups={"s"})
    assert with_setups_and_teardowns(spec, {"b": None}) == {"b": None, "s": None}


def test_a_dag_without_setups_is_unchanged() -> None:
    spec = dag([("a", "b"), ("b", "c")])
    assert with_setups_and_teardowns(spec, {"b": frozenset({0})}) == {"b": frozenset({0})}
