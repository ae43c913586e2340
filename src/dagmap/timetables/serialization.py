"""``deserialize``: rebuild a timetable from :meth:`Timetable.serialize` output (dispatch on ``"type"``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dagmap.errors import ScheduleError
from dagmap.timetables.assets import AssetTriggeredTimetable
from dagmap.timetables.base import Timetable
from dagmap.timetables.delta import decode_delta
from dagmap.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from dagmap.timetables.trigger import CronTriggerTimetable
from dagmap.timetables.trivial import ContinuousTimetable, NullTimetable, OnceTimetable

__all__ = ["deserialize"]

_READERS: dict[str, Callable[[Mapping[str, Any]], Timetable]] = {
    NullTimetable.type_name: lambda _: NullTimetable(),
    OnceTimetable.type_name: lambda _: OnceTimetable(),
    AssetTriggeredTimetable.type_name: lambda d: AssetTriggeredTimetable(d["condition"]),
    ContinuousTimetable.type_name: lambda _: ContinuousTimetable(),
    CronDataIntervalTimetable.type_name: lambda d: CronDataIntervalTimetable(d["expression"], d["timezone"]),
    DeltaDataIntervalTimetable.type_name: lambda d: DeltaDataIntervalTimetable(decode_delta(d["delta"])),
    CronTriggerTimetable.type_name: lambda d: CronTriggerTimetable(
        d["expression"], timezone=d["timezone"], interval=decode_delta(d["interval"])
    ),
}


def deserialize(data: Mapping[str, Any]) -> Timetable:
    """The timetable whose :meth:`~Timetable.serialize` gave ``data``."""
    kind = data.get("type") if isinstance(data, Mapping) else None
    reader = _READERS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        known = ", ".join(sorted(_READERS))
        raise ScheduleError(f"cannot deserialize timetable {data!r}: unknown type {kind!r} (known: {known})")
    try:
        return reader(data)
    except (KeyError, TypeError, ValueError) as error:
        raise ScheduleError(f"cannot deserialize timetable {data!r}: {error!r}") from error
