"""dagrun_id_for (Airflow-style run ids) and iter_backfill_infos (the runs of `dags backfill`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dagmap.states import DagRunType
from dagmap.timetables import (
    CronTriggerTimetable,
    DagRunInfo,
    DataInterval,
    dagrun_id_for,
    iter_backfill_infos,
    parse_schedule,
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("run_type", "expected"),
    [
        ("scheduled", "scheduled__2022-04-12T00:00:00+00:00"),
        ("manual", "manual__2022-04-12T00:00:00+00:00"),
        (DagRunType.BACKFILL, "backfill__2022-04-12T00:00:00+00:00"),
    ],
)
def test_run_ids(run_type: str, expected: str) -> None:
    assert dagrun_id_for(run_type, at(2022, 4, 12)) == expected


def test_run_id_uses_utc_and_keeps_microseconds() -> None:
    local = datetime(2022, 4, 12, 2, 30, 5, 123456, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert dagrun_id_for("manual", local) == "manual__2022-04-12T00:30:05.123456+00:00"


def test_run_id_rejects_unknown_types_and_naive_dates() -> None:
    with pytest.raises(ValueError, match="sideways"):
        dagrun_id_for("sideways", at(2022, 4, 12))
    with pytest.raises(ValueError, match="naive"):
        dagrun_id_for("manual", datetime(2022, 4, 12))


def logical(infos: list[DagRunInfo]) -> list[datetime]:
    return [info.logical_date for info in infos]


def test_backfill_covers_both_ends() -> None:
    infos = list(iter_backfill_infos(parse_schedule("@daily"), at(2024, 1, 1), at(2024, 1, 4)))
    assert logical(infos) == [at(2024, 1, d) for d in (1, 2, 3, 4)]
    assert infos[-1].data_interval == DataInterval(at(2024, 1, 4), at(2024, 1, 5))


def test_backfill_start_between_ticks_is_aligned_up() -> None:
    infos = list(iter_backfill_infos(parse_schedule("@daily"), at(2024, 1, 1, 5), at(2024, 1, 3, 23)))
    assert logical(infos) == [at(2024, 1, 2), at(2024, 1, 3)]


def test_backfill_of_a_delta_schedule_counts_from_start() -> None:
    infos = list(iter_backfill_infos(parse_schedule(timedelta(hours=8)), at(2024, 1, 1, 1), at(2024, 1, 2)))
    assert logical(infos) == [at(2024, 1, 1, 1), at(2024, 1, 1, 9), at(2024, 1, 1, 17)]


def test_backfill_in_local_time_across_dst() -> None:
    timetable = parse_schedule("0 2 * * *", timezone="Europe/Amsterdam")
    infos = list(iter_backfill_infos(timetable, at(2024, 3, 30), at(2024, 4, 1, 23)))
    assert logical(infos) == [at(2024, 3, 30, 1), at(2024, 3, 31, 1), at(2024, 4, 1, 0)]


def test_backfill_of_a_trigger_timetable_with_an_interval_filters_on_the_logical_date() -> None:
    # Logical date = tick - 4 hours: the 02:00 tick of the 1st has its logical date before the range.
    timetable = CronTriggerTimetable("0 2 * * *", interval=timedelta(hours=4))
    infos = list(iter_backfill_infos(timetable, at(2024, 1, 1), at(2024, 1, 3, 23)))
    assert logical(infos) == [at(2024, 1, 1, 22), at(2024, 1, 2, 22), at(2024, 1, 3, 22)]
    assert [info.run_after for info in infos] == [at(2024, 1, 2, 2), at(2024, 1, 3, 2), at(2024, 1, 4, 2)]


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [(None, []), ("@continuous", []), ("@once", [at(2024, 1, 1, 6)])],
)
def test_backfill_of_schedules_without_a_period(schedule: str | None, expected: list[datetime]) -> None:
    infos = list(iter_backfill_infos(parse_schedule(schedule), at(2024, 1, 1, 6), at(2024, 2, 1)))
    assert logical(infos) == expected


def test_backfill_of_an_empty_or_reversed_range() -> None:
    assert list(iter_backfill_infos(parse_schedule("@daily"), at(2024, 1, 5), at(2024, 1, 1))) == []
    assert list(iter_backfill_infos(parse_schedule("@daily"), at(2024, 1, 1, 1), at(2024, 1, 1, 23))) == []
    assert logical(list(iter_backfill_infos(parse_schedule("@daily"), at(2024, 1, 1), at(2024, 1, 1)))) == [
        at(2024, 1, 1)
    ]


def test_backfill_ignores_catchup_and_now() -> None:
    # A backfill far in the future still lists its intervals (the scheduler decides when they run).
    infos = list(iter_backfill_infos(parse_schedule("@monthly"), at(2999, 1, 1), at(2999, 12, 31)))
    assert len(infos) == 12
