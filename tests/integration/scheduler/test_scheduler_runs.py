"""Whole runs driven by the scheduler loop and the inline executor: chains, mapping, groups, retries."""

from __future__ import annotations

import pytest
from scheduler_harness import Behaviour, HoldingExecutor, states
from sqlalchemy import select

from dagmap.executors.base import ExecutorEvent
from dagmap.model.spec import TaskGroupSpec
from dagmap.states import DagRunState, TaskInstanceState
from dagmap.store.orm import TaskInstanceHistoryRow
from dagmap.store.queries import dag_runs, task_instances

SUCCESS, FAILED = DagRunState.SUCCESS, DagRunState.FAILED
TI = TaskInstanceState


def test_unmapped_chain(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a"), specs.task("b", "a"), specs.task("c", "b"))
    s = scenario(spec)
    assert s.run() is SUCCESS
    assert [task for task, _, _ in s.runner.ran] == ["a", "b", "c"]
    assert states(s.sessions, "d", "r1") == {"a": ["success"], "b": ["success"], "c": ["success"]}
    with s.sessions() as session:
        run = dag_runs.get_dag_run(session, "d", "r1")
        assert run.start_date is not None and run.end_date is not None


def test_mapped_over_a_literal_then_reduced(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("m", expand=specs.literal(3)), specs.task("reduce", "m"))
    s = scenario(spec)
    assert s.run() is SUCCESS
    assert s.runner.ran[-1] == ("reduce", -1, 1)
    assert sorted(s.runner.ran[:3]) == [("m", 0, 1), ("m", 1, 1), ("m", 2, 1)]
    with s.sessions() as session:
        instances = task_instances.list_for_run(session, "d", "r1", task_id="m")
        rows = {r.map_index: r.rendered_map_index for r in instances}
    assert rows == {0: "#0", 1: "#1", 2: "#2"}


def test_mapped_over_an_upstream_result(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("m", "src", expand=specs.over("src")),
        specs.task("m2", "m", expand=specs.over("m")),
        specs.task("reduce", "m2"),
    )
    # src returns 4 items; m at index 1 returns None (pushes nothing): m2 maps over the 3 values pushed
    s = scenario(spec, {"src": Behaviour(length=4), "m": Behaviour(push=lambda i: i != 1)})
    assert s.run() is SUCCESS
    result = states(s.sessions, "d", "r1")
    assert result["m"] == ["success"] * 4
    assert result["m2"] == ["success"] * 3
    assert result["reduce"] == ["success"]


def test_one_failed_mapped_upstream_fails_the_unexpanded_downstream_as_a_whole(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("m", expand=specs.literal(3)),
        specs.task("strict", "m", expand=specs.over("m")),
        specs.task("lenient", "m", expand=specs.over("m"), trigger_rule="all_done"),
        specs.task("reduce", "m", trigger_rule="all_done"),
    )
    s = scenario(spec, {"m": Behaviour(fails=lambda i, t: i == 1)})
    assert s.run() is FAILED
    assert states(s.sessions, "d", "r1") == {
        "m": ["success", "failed", "success"],
        "strict": ["upstream_failed"],  # one placeholder, never expanded
        "lenient": ["success", "success"],  # expanded over the two values pushed
        "reduce": ["success"],
    }


def test_zero_length_skips_the_mapped_task_and_downstream_follows_its_rule(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("m", "src", expand=specs.over("src")),
        specs.task("strict", "m"),
        specs.task("done", "m", trigger_rule="all_done"),
        specs.task("no_fail", "m", trigger_rule="none_failed"),
    )
    s = scenario(spec, {"src": Behaviour(length=0)})
    assert s.run() is SUCCESS
    assert states(s.sessions, "d", "r1") == {
        "src": ["success"],
        "m": ["skipped"],
        "strict": ["skipped"],
        "done": ["success"],
        "no_fail": ["success"],
    }


def test_failed_upstream_of_an_expansion_fails_the_mapped_task_whatever_its_rule(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("m", "src", expand=specs.over("src"), trigger_rule="all_done"),
        specs.task("after", "m", trigger_rule="all_done"),
    )
    s = scenario(spec, {"src": Behaviour(fails=lambda i, t: True)})
    assert s.run() is SUCCESS  # the leaf (all_done) succeeded
    assert states(s.sessions, "d", "r1") == {"src": ["failed"], "m": ["upstream_failed"], "after": ["success"]}


def test_mapped_group_failure_at_one_index_affects_only_that_index(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    group = TaskGroupSpec(group_id="g", expand=specs.over("src"))
    inside = {"task_group_id": "g", "mapped_group_ids": ("g",)}
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("g.x", "src", **inside),
        specs.task("g.y", "g.x", **inside),
        specs.task("g.z", "g.y", **inside),
        specs.task("strict", "g.z"),
        specs.task("lenient", "g.z", trigger_rule="all_done"),
        groups=(group,),
    )
    s = scenario(spec, {"src": Behaviour(length=3), "g.x": Behaviour(fails=lambda i, t: i == 1)})
    assert s.run() is FAILED  # the leaf "strict" is upstream_failed
    assert states(s.sessions, "d", "r1") == {
        "src": ["success"],
        "g.x": ["success", "failed", "success"],
        "g.y": ["success", "upstream_failed", "success"],
        "g.z": ["success", "upstream_failed", "success"],
        "strict": ["upstream_failed"],
        "lenient": ["success"],
    }
    # instance i of g.y ran right after instance i of g.x, not after the whole of g.x
    assert ("g.y", 0, 1) in s.runner.ran and ("g.y", 1, 1) not in s.runner.ran


def test_nested_mapped_groups_pair_instances_by_their_outer_index(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    outer = TaskGroupSpec(group_id="o", expand=specs.literal(2))
    inner = TaskGroupSpec(group_id="o.i", parent_group_id="o", expand=specs.literal(3))
    spec = specs.dag(
        "d",
        specs.task("o.a", task_group_id="o", mapped_group_ids=("o",)),
        specs.task("o.i.b", "o.a", task_group_id="o.i", mapped_group_ids=("o", "o.i")),
        specs.task("o.c", "o.i.b", task_group_id="o", mapped_group_ids=("o",)),
        groups=(outer, inner),
    )
    s = scenario(spec, {"o.a": Behaviour(fails=lambda i, t: i == 0)})
    assert s.run() is FAILED
    assert states(s.sessions, "d", "r1") == {
        "o.a": ["failed", "success"],
        "o.i.b": ["upstream_failed"] * 3 + ["success"] * 3,
        "o.c": ["upstream_failed", "success"],
    }


def test_retries_wait_for_next_retry_at_with_backoff(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    task = specs.task("a", retries=3, retry_delay=60, retry_exponential_backoff=True)
    s = scenario(specs.dag("d", task), {"a": Behaviour(fails=lambda i, attempt: attempt < 3)})
    assert s.run() is SUCCESS
    assert s.runner.ran == [("a", -1, 1), ("a", -1, 2), ("a", -1, 3)]
    # slept (fake time) exactly through both retry delays (60 s, then 120 s): no busy loop, no oversleeping
    assert sum(s.clock.slept) == pytest.approx(60 + 120, abs=1e-3)
    with s.sessions() as session:
        history = session.execute(select(TaskInstanceHistoryRow).order_by(TaskInstanceHistoryRow.id)).scalars()
        assert [(h.try_number, h.state) for h in history] == [(1, "up_for_retry"), (2, "up_for_retry"), (3, "success")]


def test_retries_exhausted_fail_the_run(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a", retries=1, retry_delay=5), specs.task("b", "a"))
    s = scenario(spec, {"a": Behaviour(fails=lambda i, t: True)})
    assert s.run() is FAILED
    assert states(s.sessions, "d", "r1") == {"a": ["failed"], "b": ["upstream_failed"]}
    assert len(s.runner.ran) == 2


def test_a_worker_that_dies_costs_a_try(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a", retries=1, retry_delay=1))
    s = scenario(spec, {"a": Behaviour(dies=lambda i, attempt: attempt == 1)})
    assert s.run() is SUCCESS
    assert s.runner.ran == [("a", -1, 2)]  # the first try was lost with the worker


def test_branching_skips_through_skip_tasks(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("branch"),
        specs.task("left", "branch"),
        specs.task("right", "branch"),
        specs.task("join", "left", "right", trigger_rule="none_failed_min_one_success"),
    )
    s = scenario(spec, {"branch": Behaviour(skip_downstream=("right",))})
    assert s.run() is SUCCESS
    assert states(s.sessions, "d", "r1") == {
        "branch": ["success"],
        "left": ["success"],
        "right": ["skipped"],
        "join": ["success"],
    }


def test_deadlock_fails_the_run_with_a_reason(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    # "m" expands over "later", which runs after "m": the count can never be known.
    spec = specs.dag("d", specs.task("a"), specs.task("m", "a", expand=specs.over("later")), specs.task("later", "m"))
    s = scenario(spec)
    assert s.run() is FAILED
    with s.sessions() as session:
        from dagmap.store.orm import AuditLogRow

        reasons = [row.extra for row in session.execute(select(AuditLogRow)).scalars()]
    assert reasons and "deadlock" in reasons[0] and "later" in reasons[0] and "m" in reasons[0]


def test_runs_wait_for_max_active_runs(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a"), max_active_runs=1)
    s = scenario(spec)
    first, second = s.create_run("r1"), s.create_run("r2")
    result = s.loop.step([first, second])
    assert result.runs == {first: SUCCESS, second: DagRunState.QUEUED}
    assert s.loop.run_until_done([second]) == {second: SUCCESS}


def test_a_late_failure_of_an_earlier_try_leaves_the_current_try_alone(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a", retries=1, retry_delay=0))
    holding = HoldingExecutor()
    s = scenario(spec, executor=lambda runner: holding)
    key = s.create_run()
    s.loop.step([key])
    (first,) = holding.workloads
    s.loop.handle_events([ExecutorEvent.of(first, TI.FAILED, "its worker died")])
    s.loop.step([key])
    s.loop.step([key])
    second = holding.workloads[-1]
    assert (first.try_number, second.try_number) == (1, 2)

    s.loop.handle_events([ExecutorEvent.of(first, TI.FAILED, "the broker reported the first try late")])
    with s.sessions() as session:
        row = task_instances.get_task_instance(session, first.key)
        assert row is not None and (row.state, row.try_number) == ("queued", 1)

    s.loop.handle_events([ExecutorEvent.of(second, TI.FAILED, "its worker died too")])
    with s.sessions() as session:
        row = task_instances.get_task_instance(session, first.key)
        assert row is not None and (row.state, row.try_number) == ("failed", 2)
