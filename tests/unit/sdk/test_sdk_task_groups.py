"""Task groups: ids, nesting, default_args, dependencies on groups, @task_group return values."""

from __future__ import annotations

import pytest

from dagmap import DAG, TaskGroup, task, task_group
from dagmap.errors import DuplicateTaskIdError
from dagmap.operators import EmptyOperator


def test_prefixed_ids_nesting_and_membership() -> None:
    with DAG("d") as dag, TaskGroup("outer", tooltip="tip") as outer:
        EmptyOperator(task_id="a")
        with TaskGroup("inner") as inner:
            EmptyOperator(task_id="b")
        with TaskGroup("flat", prefix_group_id=False):
            EmptyOperator(task_id="c")
    assert dag.task_ids == ["outer.a", "outer.inner.b", "c"]
    assert inner.group_id == "outer.inner" and inner.parent_group is outer
    assert dag.get_task("outer.inner.b").label == "b" and dag.get_task("outer.inner.b").task_group is inner
    assert set(dag.task_group_dict) == {"outer", "outer.inner", "outer.flat"}
    assert [t.task_id for t in outer] == ["outer.a", "outer.inner.b", "c"]
    with DAG("d2"):
        TaskGroup("g")
        with pytest.raises(DuplicateTaskIdError, match="the group id 'g' is used twice"):
            TaskGroup("g")
        EmptyOperator(task_id="x")
        with pytest.raises(DuplicateTaskIdError):
            TaskGroup("x")


def test_dependencies_on_groups_use_roots_and_leaves() -> None:
    with DAG("d") as dag:
        start, end = EmptyOperator(task_id="start"), EmptyOperator(task_id="end")
        with TaskGroup("g") as group:
            a, b, c = (EmptyOperator(task_id=t) for t in "abc")
            a >> [b, c]
        start >> group >> end
    assert dag.get_task("g.a").upstream_task_ids == {"start"}
    assert end.upstream_task_ids == {"g.b", "g.c"}
    assert [t.task_id for t in group.roots] == ["g.a"]


def test_default_args_of_groups_stack() -> None:
    with (
        DAG("d", default_args={"retries": 1, "pool": "dag_pool"}),
        TaskGroup("g", default_args={"retries": 2}),
        TaskGroup("h", default_args={"queue": "q"}),
    ):
        op = EmptyOperator(task_id="e")
    assert (op.retries, op.pool, op.queue) == (2, "dag_pool", "q")


def test_task_group_decorator_returns_the_result_or_the_group() -> None:
    @task
    def one() -> int:
        return 1

    @task_group
    def returns_task():
        return one()

    @task_group(group_id="custom", tooltip="t")
    def returns_nothing() -> None:
        one()

    with DAG("d") as dag:
        result = returns_task()
        group = returns_nothing()
        again = returns_task()
        start = EmptyOperator(task_id="start")
        start >> group
    assert result.operator.task_id == "returns_task.one"  # type: ignore[attr-defined]
    assert isinstance(group, TaskGroup) and group.group_id == "custom" and group.tooltip == "t"
    assert again.operator.task_id == "returns_task__1.one"  # type: ignore[attr-defined]
    assert dag.get_task("custom.one").upstream_task_ids == {"start"}


def test_tasks_in_a_mapped_group_are_mapped_and_depend_on_the_input_producer() -> None:
    @task
    def produce() -> list[int]:
        return [1]

    @task
    def inner(x: int) -> int:
        return x

    @task_group
    def group(x: int):
        return inner(x)

    with DAG("d") as dag:
        group.expand(x=produce())
    inner_task = dag.get_task("group.inner")
    assert inner_task.is_mapped and inner_task.upstream_task_ids == {"produce"}
    assert inner_task.get_closest_mapped_task_group() is dag.task_group_dict["group"]
