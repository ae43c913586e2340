"""Marking by hand (API, UI): from any state a worker does not own, to success, failed or skipped."""

from __future__ import annotations

import pytest

from dagmap.states import MARKABLE_BY_HAND, TaskInstanceState, is_legal_transition, marking_sources

TI = TaskInstanceState


@pytest.mark.parametrize("new", sorted(MARKABLE_BY_HAND))
def test_a_person_may_mark_what_no_worker_owns(new: TaskInstanceState) -> None:
    sources = marking_sources(new)
    assert {TI.QUEUED, TI.RUNNING, TI.RESTARTING, TI.DEFERRED, TI.REMOVED}.isdisjoint(sources)
    assert {None, TI.FAILED, TI.UPSTREAM_FAILED, TI.UP_FOR_RETRY} - {new} <= sources
    assert new not in sources


def test_marking_is_wider_than_what_the_scheduler_may_do() -> None:
    assert TI.FAILED in marking_sources(TI.SUCCESS)
    assert not is_legal_transition(TI.FAILED, TI.SUCCESS)  # the engine itself never does this
    assert marking_sources(TI.RUNNING) == frozenset()
