"""Trigger rules end to end, concurrency limits at every heartbeat, re-expansion, and run-level rules."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from scheduler_harness import Behaviour, CountingExecutor, HoldingExecutor, states

from dagmap.errors import PoolNotFound
from dagmap.scheduler.dependencies import Decision, UpstreamCounts, evaluate
from dagmap.states import DagRunState, TaskInstanceState
from dagmap.store.queries import dag_runs, pools, serialized_dags, task_instances
from dagmap.trigger_rule import TriggerRule

TI = TaskInstanceState
EVERY = [None, *TI]
RULES = [r for r in TriggerRule if r not in (TriggerRule.NONE_FAILED_OR_SKIPPED, TriggerRule.DUMMY)]
OUTCOME = {"ok": TI.SUCCESS, "bad": TI.FAILED, "skp": TI.SKIPPED}
EXPECTED = {Decision.RUN: "success", Decision.SKIP: "skipped", Decision.UPSTREAM_FAILED: "upstream_failed"}


def test_every_trigger_rule_against_real_upstream_outcomes(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    combos = [c for n in (1, 2, 3) for c in itertools.combinations(OUTCOME, n)]
    tasks = [specs.task("ok"), specs.task("bad"), specs.task("skp")]
    expected: dict[str, str] = {}
    for rule, combo in itertools.product(RULES, combos):
        task_id = f"{rule}__{'_'.join(combo)}"
        tasks.append(specs.task(task_id, *combo, trigger_rule=str(rule)))
        decision = evaluate(rule, UpstreamCounts.from_states(Counter(OUTCOME[u] for u in combo)))
        expected[task_id] = EXPECTED[decision]
    s = scenario(specs.dag("d", *tasks), {"bad": Behaviour(fails=lambda i, t: True), "skp": Behaviour(skips=True)})
    s.run()
    result = states(s.sessions, "d", "r1")
    assert {task_id: result[task_id][0] for task_id in expected} == expected
    # spot checks of Airflow's documented behaviour
    assert expected["all_success__ok_skp"] == "skipped"
    assert expected["all_success__ok_bad"] == "upstream_failed"
    assert expected["one_failed__ok_skp"] == "skipped"
    assert expected["all_done__ok_bad_skp"] == "success"


def test_pools_and_concurrency_limits_hold_at_every_heartbeat(scenario, specs, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        pools.set_pool(session, "p", 3)
    spec = specs.dag(
        "d",
        specs.task("light", pool="p", expand=specs.literal(7)),
        specs.task("heavy", pool="p", pool_slots=2, expand=specs.literal(3), priority_weight=5),
        specs.task("capped", expand=specs.literal(9), max_active_tis_per_dagrun=2),
        specs.task("global", expand=specs.literal(5), max_active_tis_per_dag=3),
    )
    s = scenario(spec, executor=lambda runner: CountingExecutor(runner, sessions))
    runs = [s.create_run("r1"), s.create_run("r2")]
    assert set(s.loop.run_until_done(runs, timeout=60).values()) == {DagRunState.SUCCESS}
    counting = s.loop.executor
    pool_peak = max(beat.get("p", 0) for beat in counting.per_pool)
    capped_peak = max(n for beat in counting.per_task for (run, task), n in beat.items() if task == "capped")
    global_peak = max(sum(n for (_, task), n in beat.items() if task == "global") for beat in counting.per_task)
    assert pool_peak == 3  # reached, never exceeded
    assert capped_peak == 2
    assert global_peak == 3
    # priority: heavy (weight 5) went first in its pool
    assert next(task for task, _, _ in s.runner.ran if task in ("heavy", "light")) == "heavy"


def test_limits_can_be_switched_off_for_dags_test(scenario, specs, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        pools.set_pool(session, "p", 1)
    spec = specs.dag("d", specs.task("m", pool="p", expand=specs.literal(6), max_active_tis_per_dagrun=2))
    s = scenario(spec, executor=lambda runner: CountingExecutor(runner, sessions), enforce_limits=False)
    assert s.run() is DagRunState.SUCCESS
    assert max(beat.get("p", 0) for beat in s.loop.executor.per_pool) == 6  # everything at once


def test_max_active_tasks_per_run(scenario, specs, sessions) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("m", expand=specs.literal(10)), max_active_tasks=4)
    s = scenario(spec, executor=lambda runner: CountingExecutor(runner, sessions))
    assert s.run() is DagRunState.SUCCESS
    assert max(sum(beat.values()) for beat in s.loop.executor.per_task) == 4


def test_unknown_pool_keeps_instances_scheduled(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    s = scenario(specs.dag("d", specs.task("a", pool="nope"), specs.task("b")))
    key = s.create_run()
    with pytest.raises(PoolNotFound, match="nope"):
        s.loop.run_until_done([key], timeout=60)
    assert states(s.sessions, "d", "r1") == {"a": ["scheduled"], "b": ["success"]}


def _clear(s, *, keep_removed: bool = False) -> None:  # type: ignore[no-untyped-def]
    """What clearing a run does (the clearing service is not the scheduler's): no status, run queued again."""
    with s.sessions.begin() as session:
        for task in s.spec.tasks:
            sources = [state for state in EVERY if not (keep_removed and state is TI.REMOVED)]
            task_instances.set_states(session, "d", "r1", [task.task_id], None, from_states=sources)
        dag_runs.set_dag_run_state(session, "d", "r1", DagRunState.QUEUED)


def test_re_expansion_removes_surplus_and_creates_missing_instances(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("m", "src", expand=specs.over("src")),
        specs.task("reduce", "m"),
    )
    s = scenario(spec, {"src": Behaviour(length=5)})
    assert s.run() is DagRunState.SUCCESS
    s.runner.behaviours["src"] = Behaviour(length=3)
    _clear(s)
    assert s.loop.run_until_done([("d", "r1")]) == {("d", "r1"): DagRunState.SUCCESS}
    assert states(s.sessions, "d", "r1")["m"] == ["success"] * 3 + ["removed"] * 2
    s.runner.behaviours["src"] = Behaviour(length=7)
    _clear(s, keep_removed=True)
    assert s.loop.run_until_done([("d", "r1")]) == {("d", "r1"): DagRunState.SUCCESS}
    assert states(s.sessions, "d", "r1")["m"] == ["success"] * 7
    tries = {(task, index): attempt for task, index, attempt in s.runner.ran if task == "m"}
    assert tries[("m", 0)] == 3 and tries[("m", 3)] == 2 and tries[("m", 6)] == 1


def test_depends_on_past_waits_for_the_previous_run_without_deadlocking(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    day = datetime(2026, 1, 1, tzinfo=UTC)
    spec = specs.dag("d", specs.task("a", depends_on_past=True))
    s = scenario(spec, {"a": Behaviour(fails=lambda i, t: True)})
    first = s.create_run("r1", logical_date=day)
    assert s.loop.run_until_done([first]) == {first: DagRunState.FAILED}
    s.runner.behaviours["a"] = Behaviour()
    second = s.create_run("r2", logical_date=day + timedelta(days=1))
    for _ in range(3):
        assert s.loop.step([second]).runs[second] is DagRunState.RUNNING
    assert states(s.sessions, "d", "r2") == {"a": [None]}
    with s.sessions.begin() as session:  # the previous run's instance is fixed (cleared and re-run)
        task_instances.set_states(session, "d", "r1", ["a"], None, from_states=EVERY)
        dag_runs.set_dag_run_state(session, "d", "r1", DagRunState.QUEUED)
    assert s.loop.run_until_done([first, second]) == {first: DagRunState.SUCCESS, second: DagRunState.SUCCESS}


def test_dagrun_timeout_fails_the_run_and_skips_what_is_left(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a"), specs.task("b", "a"), dagrun_timeout=10)
    s = scenario(spec, executor=lambda runner: HoldingExecutor())
    key = s.create_run()
    assert s.loop.step([key]).runs[key] is DagRunState.RUNNING
    assert states(s.sessions, "d", "r1") == {"a": ["queued"], "b": [None]}
    s.clock.sleep(11)
    assert s.loop.step([key]).runs[key] is DagRunState.FAILED
    assert states(s.sessions, "d", "r1") == {"a": ["skipped"], "b": ["skipped"]}


def test_a_changed_dag_removes_gone_tasks_and_adds_new_ones(scenario, specs) -> None:  # type: ignore[no-untyped-def]
    s = scenario(specs.dag("d", specs.task("a"), specs.task("b", "a")), executor=lambda runner: HoldingExecutor())
    key = s.create_run()
    with s.sessions.begin() as session:
        serialized_dags.upsert(session, specs.dag("d", specs.task("a"), specs.task("c", "a")))
    s.loop.step([key])
    assert states(s.sessions, "d", "r1") == {"a": ["queued"], "b": ["removed"], "c": [None]}
