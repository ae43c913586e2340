"""Retry rules (pure): whether a failed try is retried, and when the next try may start.

``try_number`` is the try that just failed (the first try is 1). A task is tried at most ``retries + 1``
times. The delay is ``retry_delay``; with exponential backoff it doubles with each try (``retry_delay *
2 ** (try_number - 1)``), capped by ``max_retry_delay`` and never above one day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dagmap.model.spec import TaskSpec
from dagmap.states import TaskInstanceState

MAX_RETRY_DELAY_SECONDS = 24 * 60 * 60.0
"""Exponential backoff never waits longer than this, whatever ``max_retry_delay`` says."""


def should_retry(task: TaskSpec, try_number: int, *, max_tries: int | None = None) -> bool:
    """Whether another try follows the failed try ``try_number``.

    ``max_tries`` (the instance's column, raised when it is cleared) replaces ``task.retries`` when given.
    """
    allowed_retries = task.retries if max_tries is None else max_tries
    return try_number <= allowed_retries


def retry_delay(task: TaskSpec, try_number: int) -> timedelta:
    """How long to wait after the failed try ``try_number`` before the next one."""
    delay = max(task.retry_delay, 0.0)
    if task.retry_exponential_backoff:
        exponent = max(try_number - 1, 0)
        # Cap the exponent before multiplying so huge try numbers cannot overflow a float.
        delay = delay * 2.0 ** min(exponent, 64)
        cap = MAX_RETRY_DELAY_SECONDS
        if task.max_retry_delay is not None:
            cap = min(cap, task.max_retry_delay)
        delay = min(delay, cap)
    return timedelta(seconds=delay)


def next_retry_at(task: TaskSpec, try_number: int, now: datetime) -> datetime:
    """When the instance whose try ``try_number`` failed at ``now`` may be tried again."""
    return now + retry_delay(task, try_number)


def failure_outcome(
    task: TaskSpec, try_number: int, now: datetime, *, max_tries: int | None = None
) -> tuple[TaskInstanceState, datetime | None]:
    """The state a failed try leads to and, for ``up_for_retry``, when the next try may start."""
    if should_retry(task, try_number, max_tries=max_tries):
        return TaskInstanceState.UP_FOR_RETRY, next_retry_at(task, try_number, now)
    return TaskInstanceState.FAILED, None
