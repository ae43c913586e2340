"""The timetable protocol and its small frozen values: DataInterval, DagRunInfo, TimeRestriction.

Pure and database-free: imported by the authoring SDK and the scheduler alike (never imports either).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from dagmap.timetables.timezones import to_utc

__all__ = ["DagRunInfo", "DataInterval", "TimeRestriction", "Timetable"]


@dataclass(frozen=True)
class DataInterval:
    """The period of data a run covers, ``[start, end)``, in aware UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", to_utc(self.start))
        object.__setattr__(self, "end", to_utc(self.end))
        if self.end < self.start:
            raise ValueError(f"data interval ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def exact(cls, at: datetime) -> DataInterval:
        """A zero-length interval at one instant."""
        return cls(at, at)


@dataclass(frozen=True)
class DagRunInfo:
    """What the scheduler needs to create a run: when it may start and the data it covers."""

    run_after: datetime
    """The run must not start before this instant (aware UTC)."""
    data_interval: DataInterval

    def __post_init__(self) -> None:
        object.__setattr__(self, "run_after", to_utc(self.run_after))

    @property
    def logical_date(self) -> datetime:
        """Airflow's logical date (formerly ``execution_date``): the start of the data interval."""
        return self.data_interval.start

    @classmethod
    def exact(cls, at: datetime) -> DagRunInfo:
        """A run due at ``at`` covering the zero-length interval at ``at``."""
        return cls(run_after=at, data_interval=DataInterval.exact(at))

    @classmethod
    def interval(cls, start: datetime, end: datetime) -> DagRunInfo:
        """A run covering ``[start, end)``, due once the interval has ended."""
        return cls(run_after=end, data_interval=DataInterval(start, end))


@dataclass(frozen=True)
class TimeRestriction:
    """Bounds on automated runs: ``earliest`` is the DAG's start_date, ``latest`` its end_date."""

    earliest: datetime | None
    latest: datetime | None
    catchup: bool

    def __post_init__(self) -> None:
        if self.earliest is not None:
            object.__setattr__(self, "earliest", to_utc(self.earliest))
        if self.latest is not None:
            object.__setattr__(self, "latest", to_utc(self.latest))


class Timetable(ABC):
    """Decides when automated runs happen and which data interval each run covers.

    Implementations are immutable values: equal when they schedule alike, serializable with
    :meth:`serialize` and rebuilt by :func:`dagmap.timetables.deserialize`.
    """

    type_name: ClassVar[str]
    """The ``"type"`` key of the serialized form."""
    periodic: ClassVar[bool] = True
    """Whether runs follow a regular period (cron and delta schedules do; ``@once`` does not)."""
    can_be_scheduled: ClassVar[bool] = True
    """False when the scheduler never creates runs (``schedule=None``): runs are triggered by hand only."""
    active_runs_limit: ClassVar[int | None] = None
    """A cap on concurrently active runs the DAG must respect (``@continuous`` allows one)."""

    @property
    @abstractmethod
    def summary(self) -> str:
        """Short text for lists and the UI: ``@daily``, ``0 2 * * *``, ``1 day, 0:00:00``."""

    @property
    def description(self) -> str:
        """A sentence describing when runs happen."""
        return self.summary

    @abstractmethod
    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime | None = None,
    ) -> DagRunInfo | None:
        """The next automated run after the last one (``None``: the first), or ``None`` if there is none.

        ``now`` (aware; default: the current time) matters only when ``catchup`` is off and for
        ``@continuous``; tests pass it explicitly.
        """

    @abstractmethod
    def infer_manual_data_interval(self, run_after: datetime) -> DataInterval:
        """The data interval of a run triggered by hand at ``run_after``."""

    def serialize(self) -> dict[str, Any]:
        """A JSON-able dict with a ``"type"`` key; :func:`dagmap.timetables.deserialize` reverses it."""
        return {"type": self.type_name, **self._serialize_fields()}

    def _serialize_fields(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.summary!r})"
