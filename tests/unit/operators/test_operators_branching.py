"""The skip protocol: what branching and short-circuit operators ask the runner to skip."""

from __future__ import annotations

import pytest

from dagmap import DAG, TaskGroup, task, task_group
from dagmap.errors import DagmapError
from dagmap.operators import BranchPythonOperator, EmptyOperator, ShortCircuitOperator
from dagmap.sdk.skipping import SkipDecision


def test_branch_skips_the_other_direct_downstream_tasks() -> None:
    with DAG("d") as dag:
        branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "a")
        a, b, c = (EmptyOperator(task_id=t) for t in "abc")
        after = EmptyOperator(task_id="after")
        branch >> [a, b, c]
        b >> after
        with TaskGroup("g") as group:
            first = EmptyOperator(task_id="first")
            first >> EmptyOperator(task_id="second")
        branch >> group
    assert branch.skip_after_execute("a") == SkipDecision(frozenset({"b", "c", "g.first"}))
    assert branch.skip_after_execute(["a", "b"]).task_ids == {"c", "g.first"}
    assert branch.skip_after_execute("g").task_ids == {"a", "b", "c"}
    assert branch.skip_after_execute(None).task_ids == {"a", "b", "c", "g.first"}
    with pytest.raises(DagmapError, match="unknown task ids: nope"):
        branch.skip_after_execute(["a", "nope"])
    with pytest.raises(DagmapError, match="must return a task id"):
        branch.skip_after_execute(5)
    assert dag.has_task("after")


def test_short_circuit() -> None:
    with DAG("d"):
        stop = ShortCircuitOperator(task_id="stop", python_callable=lambda: False)
        gate = ShortCircuitOperator(
            task_id="gate", python_callable=lambda: False, ignore_downstream_trigger_rules=False
        )
        a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
        stop >> a >> b
        gate >> a
    assert stop.execute({}) is False
    assert stop.skip_after_execute(False).task_ids == {"a", "b"}
    assert stop.skip_after_execute([]).task_ids == {"a", "b"}
    assert stop.skip_after_execute("yes") is None
    assert gate.skip_after_execute(0).task_ids == {"a"}


def test_decisions_inside_a_mapped_group_are_per_index() -> None:
    @task.branch
    def choose(x: int) -> str:
        return "g.left"

    @task
    def left() -> None:
        return None

    @task
    def right() -> None:
        return None

    @task
    def outside() -> None:
        return None

    @task_group
    def g(x: int) -> None:
        choice = choose(x)
        choice >> [left(), right()]

    with DAG("d") as dag:
        g.expand(x=[1, 2]) >> outside()
        dag.get_task("g.choose") >> dag.get_task("outside")
    decision = dag.get_task("g.choose").skip_after_execute("g.left")  # type: ignore[attr-defined]
    assert decision.task_ids == {"g.right", "outside"}
    assert decision.same_map_index_task_ids == {"g.right"}
