"""Pure decisions of the scheduler service about liveness and retrying: which scheduler jobs are dead, how
long to back off while the database is unavailable, and when a periodic check is due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class JobLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def hostname(self) -> str | None: ...

    @property
    def pid(self) -> int | None: ...

    @property
    def latest_heartbeat(self) -> datetime: ...


@dataclass(frozen=True)
class Liveness:
    live: tuple[int, ...]
    dead: tuple[int, ...]


def classify_jobs(
    jobs: Iterable[JobLike],
    *,
    now: datetime,
    timeout: float,
    hostname: str | None = None,
    process_exists: Callable[[int], bool] | None = None,
) -> Liveness:
    """Running jobs split into live and dead: dead when the heartbeat is older than ``timeout`` seconds.

    Given ``process_exists`` (one machine, as with SQLite), a job of this ``hostname`` is instead live exactly
    while its process exists: a killed scheduler is known dead at once, a slow one is never taken for dead.
    """
    cutoff = now - timedelta(seconds=timeout)
    live: list[int] = []
    dead: list[int] = []
    for job in jobs:
        if process_exists is not None and job.hostname == hostname and job.pid is not None:
            alive = process_exists(job.pid)
        else:
            alive = job.latest_heartbeat >= cutoff
        (live if alive else dead).append(job.id)
    return Liveness(tuple(live), tuple(dead))


@dataclass
class Backoff:
    """Delays after consecutive failures: ``first``, doubling, capped at ``cap`` seconds."""

    first: float = 0.5
    cap: float = 10.0
    failures: int = 0

    def failed(self) -> float:
        """Record a failure; the seconds to wait before trying again."""
        self.failures += 1
        return float(min(self.cap, self.first * 2 ** (self.failures - 1)))

    def succeeded(self) -> None:
        self.failures = 0


@dataclass
class Every:
    """A periodic check: ``due(t)`` is true once per ``seconds`` of the monotonic clock ``t`` (and at first)."""

    seconds: float
    last: float | None = None

    def due(self, now: float) -> bool:
        if self.last is not None and now - self.last < self.seconds:
            return False
        self.last = now
        return True


def check_interval(heartbeat_interval: float, *timeouts: float) -> float:
    """How often to run the health checks: the heartbeat interval, but often enough to notice each timeout
    within a third of it."""
    return max(0.05, min(heartbeat_interval, *(t / 3 for t in timeouts if t > 0)))
