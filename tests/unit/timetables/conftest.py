"""Shared fixture for the timetable tests: walk a timetable run by run, as the scheduler would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from dagmap.timetables import DagRunInfo, TimeRestriction, Timetable

Walk = Callable[..., list[DagRunInfo]]


def walk(
    timetable: Timetable,
    restriction: TimeRestriction,
    count: int,
    *,
    now: datetime | None = None,
) -> list[DagRunInfo]:
    """Up to ``count`` successive automated runs, each computed from the previous one's interval."""
    found: list[DagRunInfo] = []
    last = None
    while len(found) < count:
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction, now=now)
        if info is None:
            break
        found.append(info)
        last = info.data_interval
    return found


@pytest.fixture
def runs() -> Walk:
    return walk
