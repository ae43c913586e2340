"""TimeSensor and DayOfWeekSensor against a moved clock; ExternalTaskSensor's parse-time checks and dates."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dagmap import DAG
from dagmap.errors import DagDefinitionError, DuplicateStateError
from dagmap.sensors import DayOfWeekSensor, ExternalTaskMarker, ExternalTaskSensor, TimeSensor, time_sensor, weekday
from dagmap.utils.weekday import WeekDay

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")


def _clock(monkeypatch: pytest.MonkeyPatch, module: Any, when: dt.datetime) -> None:
    monkeypatch.setattr(module, "now", lambda zone=None: when.astimezone(zone) if zone else when)


@pytest.mark.parametrize(
    ("utc_now", "done"),
    [
        (dt.datetime(2024, 3, 5, 8, 59, tzinfo=UTC), False),  # 09:59 in Berlin
        (dt.datetime(2024, 3, 5, 9, 1, tzinfo=UTC), True),  # 10:01 in Berlin
    ],
)
def test_time_sensor_compares_in_the_dags_time_zone(
    monkeypatch: pytest.MonkeyPatch, utc_now: dt.datetime, done: bool
) -> None:
    _clock(monkeypatch, time_sensor, utc_now)
    with DAG("d", start_date=dt.datetime(2024, 1, 1, tzinfo=BERLIN), schedule=None):
        sensor = TimeSensor(task_id="t", target_time=dt.time(10, 0))
    assert sensor.target_datetime() == dt.datetime(2024, 3, 5, 10, 0, tzinfo=BERLIN)
    assert sensor.poke({}) is done


def test_time_sensor_with_an_aware_target_time_uses_its_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, time_sensor, dt.datetime(2024, 3, 5, 9, 30, tzinfo=UTC))
    with DAG("d", schedule=None):
        sensor = TimeSensor(task_id="t", target_time=dt.time(10, 0, tzinfo=BERLIN))
    assert sensor.poke({}) is True


def test_time_sensor_refuses_a_datetime() -> None:
    with DAG("d", schedule=None), pytest.raises(DagDefinitionError, match=r"target_time must be a datetime\.time"):
        TimeSensor(task_id="t", target_time=dt.datetime(2024, 1, 1))  # type: ignore[arg-type]


def test_day_of_week_sensor_today_or_the_logical_date(monkeypatch: pytest.MonkeyPatch) -> None:
    _clock(monkeypatch, weekday, dt.datetime(2024, 3, 9, 12, tzinfo=UTC))  # a Saturday
    with DAG("d", schedule=None):
        weekend = DayOfWeekSensor(task_id="w", week_day={WeekDay.SATURDAY, "Sunday"})
        monday = DayOfWeekSensor(task_id="m", week_day="Monday")
        by_date = DayOfWeekSensor(task_id="l", week_day="monday", use_task_logical_date=True)
    assert weekend.poke({}) is True
    assert monday.poke({}) is False
    assert by_date.poke({"logical_date": dt.datetime(2024, 3, 4, tzinfo=UTC)}) is True


def test_day_of_week_sensor_names_a_wrong_day() -> None:
    with DAG("d", schedule=None), pytest.raises(DagDefinitionError, match='Invalid Week Day passed: "Caturday"') as e:
        DayOfWeekSensor(task_id="w", week_day="Caturday")
    assert e.value.task_id == "w" and e.value.argument == "week_day"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"external_task_id": "a", "external_task_ids": ["b"]}, DagDefinitionError, "not both"),
        ({"external_task_ids": ["a", "a"]}, DagDefinitionError, "duplicate task ids"),
        ({"external_task_ids": "ab"}, DagDefinitionError, "not a string"),
        ({"external_task_id": "a", "external_task_group_id": "g"}, DagDefinitionError, "not both"),
        ({"allowed_states": ["success"], "failed_states": ["success"]}, DuplicateStateError, "more than one"),
        ({"allowed_states": ["upstream_failed"]}, DagDefinitionError, "not a DAG run state"),
        ({"external_task_id": "a", "allowed_states": ["bogus"]}, DagDefinitionError, "not a task instance state"),
        (
            {"execution_delta": dt.timedelta(days=1), "execution_date_fn": lambda d: d},
            DagDefinitionError,
            "execution_delta or execution_date_fn",
        ),
    ],
)
def test_external_task_sensor_refuses_bad_arguments_naming_the_task(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with DAG("d", schedule=None), pytest.raises(error, match=message) as raised:
        ExternalTaskSensor(task_id="wait", external_dag_id="other", **kwargs)
    assert "task 'wait'" in str(raised.value)


def test_external_task_sensor_dates() -> None:
    day = dt.datetime(2024, 1, 2, tzinfo=UTC)
    with DAG("d", schedule=None):
        same = ExternalTaskSensor(task_id="a", external_dag_id="o")
        delta = ExternalTaskSensor(task_id="b", external_dag_id="o", execution_delta=dt.timedelta(hours=6))
        with_context = ExternalTaskSensor(
            task_id="c", external_dag_id="o", execution_date_fn=lambda logical_date, ds: [logical_date, logical_date]
        )
        naive = ExternalTaskSensor(
            task_id="e", external_dag_id="o", execution_date_fn=lambda d: dt.datetime(2024, 1, 1)
        )
    context = {"logical_date": day, "ds": "2024-01-02"}
    assert same.logical_dates(context) == [day]
    assert delta.logical_dates(context) == [dt.datetime(2024, 1, 1, 18, tzinfo=UTC)]
    assert with_context.logical_dates(context) == [day, day]
    with pytest.raises(DagDefinitionError, match="time-zone-aware"):
        naive.logical_dates(context)


def test_external_task_marker_checks_its_depth() -> None:
    with DAG("d", schedule=None), pytest.raises(DagDefinitionError, match="recursion_depth"):
        ExternalTaskMarker(task_id="m", external_dag_id="o", external_task_id="t", recursion_depth=0)
