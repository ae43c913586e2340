"""NullTimetable (schedule=None), OnceTimetable (@once) and ContinuousTimetable (@continuous)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from dagmap.timetables import (
    ContinuousTimetable,
    DagRunInfo,
    DataInterval,
    NullTimetable,
    OnceTimetable,
    TimeRestriction,
)

Walk = Callable[..., list[DagRunInfo]]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize("catchup", [True, False])
@pytest.mark.parametrize("earliest", [None, at(2024, 1, 1)])
def test_none_never_schedules(runs: Walk, catchup: bool, earliest: datetime | None) -> None:
    restriction = TimeRestriction(earliest, None, catchup=catchup)
    assert runs(NullTimetable(), restriction, 3, now=at(2030, 1, 1)) == []
    assert (
        NullTimetable().next_dagrun_info(
            last_automated_data_interval=DataInterval.exact(at(2024, 1, 1)), restriction=restriction
        )
        is None
    )


@pytest.mark.parametrize("timetable", [NullTimetable(), OnceTimetable(), ContinuousTimetable()])
def test_manual_runs_are_instants(timetable: NullTimetable) -> None:
    assert timetable.infer_manual_data_interval(at(2024, 1, 5, 9, 13)) == DataInterval.exact(at(2024, 1, 5, 9, 13))


@pytest.mark.parametrize("catchup", [True, False])
def test_once_runs_once_at_the_start_date(runs: Walk, catchup: bool) -> None:
    # Whatever catchup says and however late it is: the single run is at the start date.
    found = runs(OnceTimetable(), TimeRestriction(at(2024, 1, 1, 6), None, catchup=catchup), 5, now=at(2025, 1, 1))
    assert found == [DagRunInfo.exact(at(2024, 1, 1, 6))]


def test_once_needs_a_start_date() -> None:
    restriction = TimeRestriction(None, None, catchup=False)
    assert OnceTimetable().next_dagrun_info(last_automated_data_interval=None, restriction=restriction) is None


def test_once_respects_the_end_date() -> None:
    restriction = TimeRestriction(at(2024, 1, 2), at(2024, 1, 1), catchup=True)
    assert OnceTimetable().next_dagrun_info(last_automated_data_interval=None, restriction=restriction) is None


class TestContinuous:
    def test_first_run_covers_start_date_to_now(self) -> None:
        info = ContinuousTimetable().next_dagrun_info(
            last_automated_data_interval=None,
            restriction=TimeRestriction(at(2024, 1, 1), None, catchup=False),
            now=at(2024, 1, 3, 12),
        )
        assert info == DagRunInfo.interval(at(2024, 1, 1), at(2024, 1, 3, 12))
        assert info.run_after == at(2024, 1, 3, 12)

    def test_next_run_starts_where_the_last_ended(self) -> None:
        info = ContinuousTimetable().next_dagrun_info(
            last_automated_data_interval=DataInterval(at(2024, 1, 1), at(2024, 1, 3, 12)),
            restriction=TimeRestriction(at(2024, 1, 1), None, catchup=False),
            now=at(2024, 1, 3, 12, 5),
        )
        assert info == DagRunInfo.interval(at(2024, 1, 3, 12), at(2024, 1, 3, 12, 5))

    def test_future_start_date_waits(self) -> None:
        info = ContinuousTimetable().next_dagrun_info(
            last_automated_data_interval=None,
            restriction=TimeRestriction(at(2024, 2, 1), None, catchup=False),
            now=at(2024, 1, 3),
        )
        assert info == DagRunInfo.exact(at(2024, 2, 1))

    def test_last_run_in_the_future_restarts_from_the_start_date(self) -> None:
        info = ContinuousTimetable().next_dagrun_info(
            last_automated_data_interval=DataInterval(at(2024, 3, 1), at(2024, 3, 2)),
            restriction=TimeRestriction(at(2024, 1, 10), None, catchup=False),
            now=at(2024, 1, 3),
        )
        assert info == DagRunInfo.interval(at(2024, 1, 10), at(2024, 1, 11))

    def test_needs_a_start_date_and_stops_at_the_end_date(self) -> None:
        timetable = ContinuousTimetable()
        no_start = TimeRestriction(None, None, catchup=False)
        ended = TimeRestriction(at(2024, 1, 1), at(2024, 1, 2), catchup=False)
        assert timetable.next_dagrun_info(last_automated_data_interval=None, restriction=no_start) is None
        assert (
            timetable.next_dagrun_info(last_automated_data_interval=None, restriction=ended, now=at(2024, 1, 3)) is None
        )

    def test_now_defaults_to_the_current_time(self) -> None:
        before = datetime.now(UTC)
        info = ContinuousTimetable().next_dagrun_info(
            last_automated_data_interval=None, restriction=TimeRestriction(at(2024, 1, 1), None, catchup=False)
        )
        assert info is not None
        assert before <= info.run_after <= datetime.now(UTC)


def test_trivial_timetables_compare_by_type() -> None:
    assert NullTimetable() == NullTimetable()
    assert OnceTimetable() != NullTimetable()
    assert len({OnceTimetable(), OnceTimetable(), ContinuousTimetable()}) == 2
    assert repr(OnceTimetable()) == "OnceTimetable()"
