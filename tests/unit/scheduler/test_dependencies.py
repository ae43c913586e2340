"""Every trigger rule against the states of its upstream instances, as Airflow documents them."""

from __future__ import annotations

import itertools

import pytest

from dagmap.scheduler.dependencies import Decision, UpstreamCounts, evaluate
from dagmap.states import TaskInstanceState
from dagmap.trigger_rule import TriggerRule

TI = TaskInstanceState
RUN, WAIT, SKIP, UF = Decision.RUN, Decision.WAIT, Decision.SKIP, Decision.UPSTREAM_FAILED


def counts(*states: TaskInstanceState | None) -> UpstreamCounts:
    tally: dict[TaskInstanceState | None, int] = {}
    for state in states:
        tally[state] = tally.get(state, 0) + 1
    return UpstreamCounts.from_states(tally)


S, K, F, U, R, N = TI.SUCCESS, TI.SKIPPED, TI.FAILED, TI.UPSTREAM_FAILED, TI.REMOVED, None
RUNNING = TI.RUNNING

CASES: list[tuple[str, tuple[TaskInstanceState | None, ...], Decision]] = [
    # all_success: skipped upstream -> skipped, failed -> upstream_failed (failure wins), early decisions
    ("all_success", (S, S, S), RUN),
    ("all_success", (S, N), WAIT),
    ("all_success", (S, RUNNING), WAIT),
    ("all_success", (S, K), SKIP),
    ("all_success", (K, N), SKIP),
    ("all_success", (S, F), UF),
    ("all_success", (K, F), UF),
    ("all_success", (U, N), UF),
    # all_failed
    ("all_failed", (F, U), RUN),
    ("all_failed", (F, N), WAIT),
    ("all_failed", (F, S), SKIP),
    ("all_failed", (F, K), SKIP),
    # all_done: anything finished counts, removed does not
    ("all_done", (S, F, K, U), RUN),
    ("all_done", (S, RUNNING), WAIT),
    ("all_done", (S, R), RUN),
    # one_success
    ("one_success", (S, N), RUN),
    ("one_success", (F, N), WAIT),
    ("one_success", (K, K), SKIP),
    ("one_success", (K, F), UF),
    ("one_success", (F, U), UF),
    # one_failed: when everything is done without a failure -> skipped
    ("one_failed", (F, N), RUN),
    ("one_failed", (U, N), RUN),
    ("one_failed", (S, N), WAIT),
    ("one_failed", (S, K), SKIP),
    # one_done: one success or failure; everything done without either -> skipped
    ("one_done", (S, N), RUN),
    ("one_done", (F, N), RUN),
    ("one_done", (K, N), WAIT),
    ("one_done", (K, U), SKIP),
    # none_failed
    ("none_failed", (S, K), RUN),
    ("none_failed", (K, K), RUN),
    ("none_failed", (S, N), WAIT),
    ("none_failed", (S, F), UF),
    ("none_failed", (U, N), UF),
    # none_failed_min_one_success
    ("none_failed_min_one_success", (S, K), RUN),
    ("none_failed_min_one_success", (K, K), SKIP),
    ("none_failed_min_one_success", (K, N), WAIT),
    ("none_failed_min_one_success", (S, F), UF),
    # none_skipped
    ("none_skipped", (S, F, U), RUN),
    ("none_skipped", (S, N), WAIT),
    ("none_skipped", (S, K), SKIP),
    # all_skipped
    ("all_skipped", (K, K), RUN),
    ("all_skipped", (K, N), WAIT),
    ("all_skipped", (K, S), SKIP),
    ("all_skipped", (K, F), SKIP),
    ("all_skipped", (K, U), SKIP),
    # always
    ("always", (N, N), RUN),
    ("always", (F, U), RUN),
]


@pytest.mark.parametrize(("rule", "states", "expected"), CASES, ids=[f"{r}-{s}" for r, s, _ in CASES])
def test_rule(rule: str, states: tuple[TaskInstanceState | None, ...], expected: Decision) -> None:
    assert evaluate(rule, counts(*states)) is expected


@pytest.mark.parametrize("rule", [r for r in TriggerRule])
def test_no_upstream_runs_whatever_the_rule(rule: TriggerRule) -> None:
    assert evaluate(rule, UpstreamCounts()) is RUN


@pytest.mark.parametrize("rule", [r for r in TriggerRule])
def test_only_removed_upstream_counts_as_no_upstream(rule: TriggerRule) -> None:
    assert evaluate(rule, counts(R, R)) is RUN


def test_removed_instances_do_not_count() -> None:
    assert evaluate("all_success", counts(S, S, R)) is RUN
    assert evaluate("all_failed", counts(F, R)) is RUN
    assert evaluate("none_failed_min_one_success", counts(K, R)) is SKIP


def test_every_mapped_instance_counts() -> None:
    # A mapped upstream with three instances, one failed: all_done runs, all_success is upstream_failed.
    three = counts(S, F, S)
    assert evaluate("all_done", three) is RUN
    assert evaluate("all_success", three) is UF
    assert evaluate("all_success", counts(S, S, N)) is WAIT


def test_airflow2_aliases() -> None:
    assert evaluate("none_failed_or_skipped", counts(K, K)) is SKIP
    assert evaluate("dummy", counts(N)) is RUN


def test_all_done_setup_success() -> None:
    def c(states: dict[TaskInstanceState | None, int], setup: dict[TaskInstanceState | None, int]) -> UpstreamCounts:
        return UpstreamCounts.from_states(states, setup)

    rule = "all_done_setup_success"
    assert evaluate(rule, c({S: 1, N: 1}, {S: 1})) is WAIT
    assert evaluate(rule, c({S: 1, F: 1}, {S: 1})) is RUN  # work failed, setup fine: teardown runs
    assert evaluate(rule, c({F: 2}, {F: 1})) is UF  # the only setup failed
    assert evaluate(rule, c({K: 2}, {K: 1})) is SKIP  # every setup skipped
    assert evaluate(rule, c({F: 2}, {})) is RUN  # no setup upstream: like all_done


def test_counts_add_up() -> None:
    total = counts(S, K) + counts(F, N, R)
    assert (total.success, total.skipped, total.failed, total.removed, total.done, total.total) == (1, 1, 1, 1, 3, 5)
    assert total.counted == 4


@pytest.mark.parametrize("rule", [r for r in TriggerRule])
def test_decisions_are_final_once_everything_is_done(rule: TriggerRule) -> None:
    """With every upstream finished no rule may keep waiting: a waiting rule there would deadlock the run."""
    finished = (S, K, F, U)
    for size in (1, 2, 3):
        for states in itertools.product(finished, repeat=size):
            assert evaluate(rule, counts(*states)) is not WAIT, (rule, states)


@pytest.mark.parametrize("rule", [r for r in TriggerRule])
def test_an_early_verdict_never_turns_into_run(rule: TriggerRule) -> None:
    """SKIP/UPSTREAM_FAILED is decided early only when the task could not run whatever the rest does."""
    finished = (S, K, F, U)
    for known in itertools.product(finished, repeat=2):
        early = evaluate(rule, counts(*known, N))
        if early in (SKIP, UF):
            for last in finished:
                assert evaluate(rule, counts(*known, last)) in (SKIP, UF), (rule, known, last)
