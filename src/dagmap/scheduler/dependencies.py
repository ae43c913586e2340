"""Trigger rules as a pure function: counts of upstream instance states in, one decision out.

No database and no I/O here. Every upstream *instance* counts (a mapped upstream with three instances counts
three); ``removed`` instances do not count at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dagmap.states import TaskInstanceState
from dagmap.trigger_rule import TriggerRule

TI = TaskInstanceState


class Decision(StrEnum):
    RUN = "run"
    WAIT = "wait"
    SKIP = "skip"
    UPSTREAM_FAILED = "upstream_failed"


@dataclass(frozen=True, slots=True)
class UpstreamCounts:
    """States of the upstream instances of one task instance.

    ``done`` counts finished instances (success, skipped, failed, upstream_failed); ``total`` counts every
    instance including ``removed`` ones, which are then left out. The ``setup_*`` fields count the part of
    those instances that belong to setup tasks (for ``all_done_setup_success``).
    """

    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0
    done: int = 0
    total: int = 0
    setup_success: int = 0
    setup_skipped: int = 0
    setup_total: int = 0

    @classmethod
    def from_states(
        cls,
        states: Mapping[TaskInstanceState | None, int],
        setup_states: Mapping[TaskInstanceState | None, int] | None = None,
    ) -> UpstreamCounts:
        """Counts from ``{state: number of upstream instances}`` (``None`` = no status yet)."""
        setup = setup_states or {}
        success = states.get(TI.SUCCESS, 0)
        skipped = states.get(TI.SKIPPED, 0)
        failed = states.get(TI.FAILED, 0)
        upstream_failed = states.get(TI.UPSTREAM_FAILED, 0)
        removed = states.get(TI.REMOVED, 0)
        return cls(
            success=success,
            skipped=skipped,
            failed=failed,
            upstream_failed=upstream_failed,
            removed=removed,
            done=success + skipped + failed + upstream_failed,
            total=sum(states.values()),
            setup_success=setup.get(TI.SUCCESS, 0),
            setup_skipped=setup.get(TI.SKIPPED, 0),
            setup_total=sum(n for state, n in setup.items() if state is not TI.REMOVED),
        )

    def __add__(self, other: UpstreamCounts) -> UpstreamCounts:
        return UpstreamCounts(
            success=self.success + other.success,
            skipped=self.skipped + other.skipped,
            failed=self.failed + other.failed,
            upstream_failed=self.upstream_failed + other.upstream_failed,
            removed=self.removed + other.removed,
            done=self.done + other.done,
            total=self.total + other.total,
            setup_success=self.setup_success + other.setup_success,
            setup_skipped=self.setup_skipped + other.setup_skipped,
            setup_total=self.setup_total + other.setup_total,
        )

    @property
    def counted(self) -> int:
        """Upstream instances that count (every one but the removed)."""
        return self.total - self.removed

    @property
    def all_done(self) -> bool:
        return self.done >= self.counted

    @property
    def any_failed(self) -> bool:
        return self.failed > 0 or self.upstream_failed > 0


NO_UPSTREAM = UpstreamCounts()


def evaluate(rule: TriggerRule | str, counts: UpstreamCounts) -> Decision:
    """Whether a waiting task instance runs, waits, is skipped or becomes ``upstream_failed``.

    A task without (counted) upstream instances runs whatever its rule. The early decisions follow Airflow:
    ``all_success`` skips as soon as one upstream was skipped and fails as soon as one failed, ``one_failed``
    runs as soon as one failed, and so on.
    """
    rule = TriggerRule.normalize(str(rule))
    if rule is TriggerRule.ALWAYS or counts.counted <= 0:
        return Decision.RUN
    decide = _RULES[rule]
    return decide(counts)


def _all_success(c: UpstreamCounts) -> Decision:
    if c.any_failed:
        return Decision.UPSTREAM_FAILED
    if c.skipped:
        return Decision.SKIP
    return Decision.RUN if c.success >= c.counted else Decision.WAIT


def _all_failed(c: UpstreamCounts) -> Decision:
    if c.success or c.skipped:
        return Decision.SKIP
    return Decision.RUN if c.failed + c.upstream_failed >= c.counted else Decision.WAIT


def _all_done(c: UpstreamCounts) -> Decision:
    return Decision.RUN if c.all_done else Decision.WAIT


def _all_done_setup_success(c: UpstreamCounts) -> Decision:
    if not c.all_done:
        return Decision.WAIT
    if c.setup_total and c.setup_skipped >= c.setup_total:
        return Decision.SKIP
    if c.setup_total and c.setup_success == 0:
        return Decision.UPSTREAM_FAILED
    return Decision.RUN


def _one_success(c: UpstreamCounts) -> Decision:
    if c.success:
        return Decision.RUN
    if c.all_done:
        return Decision.SKIP if c.done == c.skipped else Decision.UPSTREAM_FAILED
    return Decision.WAIT


def _one_failed(c: UpstreamCounts) -> Decision:
    if c.any_failed:
        return Decision.RUN
    return Decision.SKIP if c.all_done else Decision.WAIT


def _one_done(c: UpstreamCounts) -> Decision:
    if c.success or c.failed:
        return Decision.RUN
    return Decision.SKIP if c.all_done else Decision.WAIT


def _none_failed(c: UpstreamCounts) -> Decision:
    if c.any_failed:
        return Decision.UPSTREAM_FAILED
    return Decision.RUN if c.success + c.skipped >= c.counted else Decision.WAIT


def _none_failed_min_one_success(c: UpstreamCounts) -> Decision:
    if c.any_failed:
        return Decision.UPSTREAM_FAILED
    if c.skipped >= c.counted:
        return Decision.SKIP
    if c.success + c.skipped >= c.counted:
        return Decision.RUN
    return Decision.WAIT


def _none_skipped(c: UpstreamCounts) -> Decision:
    if c.skipped:
        return Decision.SKIP
    return Decision.RUN if c.all_done else Decision.WAIT


def _all_skipped(c: UpstreamCounts) -> Decision:
    if c.success or c.failed or c.upstream_failed:
        return Decision.SKIP
    return Decision.RUN if c.skipped >= c.counted else Decision.WAIT


_RULES = {
    TriggerRule.ALL_SUCCESS: _all_success,
    TriggerRule.ALL_FAILED: _all_failed,
    TriggerRule.ALL_DONE: _all_done,
    TriggerRule.ALL_DONE_SETUP_SUCCESS: _all_done_setup_success,
    TriggerRule.ONE_SUCCESS: _one_success,
    TriggerRule.ONE_FAILED: _one_failed,
    TriggerRule.ONE_DONE: _one_done,
    TriggerRule.NONE_FAILED: _none_failed,
    TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS: _none_failed_min_one_success,
    TriggerRule.NONE_SKIPPED: _none_skipped,
    TriggerRule.ALL_SKIPPED: _all_skipped,
}


def setup_constraint(indirect_setups: Mapping[TaskInstanceState | None, int]) -> Decision | None:
    """Airflow's setup constraint, checked before the trigger rule of a task that is not a teardown:
    ``indirect_setups`` counts the instances of its relevant setups that are not direct upstream tasks
    (``scheduler.setup_teardown.indirect_setups``). One failed: upstream_failed; one skipped: skipped (even
    for an ``all_done`` task); any unfinished: wait; all succeeded (or none): None, the trigger rule decides.
    """
    c = UpstreamCounts.from_states(indirect_setups)
    if c.failed or c.upstream_failed:
        return Decision.UPSTREAM_FAILED
    if c.skipped:
        return Decision.SKIP
    if c.done < c.counted:
        return Decision.WAIT
    return None
