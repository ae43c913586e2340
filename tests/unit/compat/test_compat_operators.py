"""Operators and SDK behaviour Airflow's example DAGs rely on: XComArg(task), BaseBranchOperator,
LatestOnlyOperator, BranchDayOfWeekOperator, BranchDateTimeOperator, WeekDay; and what dagmap refuses with a
clear error; setup/teardown from every import path."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from dagmap import DAG, XComArg
from dagmap import setup as dagmap_setup
from dagmap import teardown as dagmap_teardown
from dagmap.decorators import setup as decorators_setup
from dagmap.decorators import teardown as decorators_teardown
from dagmap.errors import DagDefinitionError
from dagmap.models.xcom_arg import XComArg as ModelsXComArg
from dagmap.operators import (
    BaseBranchOperator,
    BranchDateTimeOperator,
    BranchDayOfWeekOperator,
    EmptyOperator,
    LatestOnlyOperator,
)
from dagmap.operators.python import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
    is_venv_installed,
)
from dagmap.sdk.xcom_arg import PlainXComArg
from dagmap.utils.weekday import WeekDay


def test_xcomarg_called_with_a_task_builds_the_plain_reference() -> None:
    with DAG("d"):
        producer = EmptyOperator(task_id="producer")
        plain = XComArg(producer)
        keyed = ModelsXComArg(producer, key="k")
    assert type(plain) is PlainXComArg
    assert plain == producer.output
    assert (keyed.operator, keyed.key) == (producer, "k")
    assert str(keyed) == "{{ task_instance.xcom_pull(task_ids='producer', dag_id='d', key='k') }}"


class _Pick(BaseBranchOperator):
    def __init__(self, *, pick: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pick = pick

    def choose_branch(self, context: dict[str, Any]) -> Any:
        return self.pick


def test_base_branch_operator_follows_the_choice_and_returns_it() -> None:
    with DAG("d"):
        branch = _Pick(task_id="branch", pick=["a"])
        branch >> [EmptyOperator(task_id="a"), EmptyOperator(task_id="b")]
    result = branch.execute({})
    assert result == ["a"]
    decision = branch.skip_after_execute(result)
    assert decision is not None and decision.task_ids == {"b"}


def _context(dag: DAG, run_type: str, start: datetime) -> dict[str, Any]:
    dag_run = SimpleNamespace(
        run_type=run_type, data_interval_start=start, data_interval_end=start + timedelta(hours=4)
    )
    return {"dag": dag, "dag_run": dag_run}


def _latest_only_dag() -> tuple[DAG, LatestOnlyOperator]:
    with DAG("d", schedule=timedelta(hours=4), start_date=datetime(2021, 1, 1, tzinfo=UTC)) as dag:
        latest = LatestOnlyOperator(task_id="latest_only")
        latest >> [EmptyOperator(task_id="t1"), EmptyOperator(task_id="t2")]
    return dag, latest


def test_latest_only_skips_downstream_of_an_old_scheduled_run() -> None:
    dag, latest = _latest_only_dag()
    result = latest.execute(_context(dag, "scheduled", datetime(2021, 1, 1, tzinfo=UTC)))
    assert result == []
    decision = latest.skip_after_execute(result)
    assert decision is not None and decision.task_ids == {"t1", "t2"}


def test_latest_only_lets_the_latest_scheduled_run_and_manual_runs_through() -> None:
    dag, latest = _latest_only_dag()
    now = datetime.now(UTC)
    # The latest run covers the interval that ended most recently: ``now`` lies in the one after it.
    slot = datetime(2021, 1, 1, tzinfo=UTC) + (
        (now - datetime(2021, 1, 1, tzinfo=UTC)) // timedelta(hours=4)
    ) * timedelta(hours=4)
    latest_start = slot - timedelta(hours=4)
    assert latest.execute(_context(dag, "scheduled", latest_start)) == ["t1", "t2"]
    assert latest.execute(_context(dag, "manual", datetime(2021, 1, 1, tzinfo=UTC))) == ["t1", "t2"]
    no_interval = {
        "dag": dag,
        "dag_run": SimpleNamespace(run_type="scheduled", data_interval_start=None, data_interval_end=None),
    }
    assert latest.execute(no_interval) == ["t1", "t2"]
    decision = latest.skip_after_execute(["t1", "t2"])
    assert decision is not None and decision.task_ids == frozenset()


@pytest.mark.parametrize(
    "operator",
    [PythonVirtualenvOperator, ExternalPythonOperator, BranchPythonVirtualenvOperator, BranchExternalPythonOperator],
)
def test_virtualenv_operators_refuse_what_cannot_run_elsewhere(operator: Any) -> None:
    """Running them is tested in tests/integration/operators/test_virtualenv_operators.py."""
    extra = {"python": "/usr/bin/python3"} if "External" in operator.__name__ else {}
    with DAG("d"), pytest.raises(DagDefinitionError, match="must be a plain def"):
        operator(task_id="venv", python_callable=lambda: 1, **extra)
    with DAG("d"), pytest.raises(DagDefinitionError, match="serializer must be one of"):
        operator(task_id="venv", python_callable=test_weekday_names_members_and_sets, serializer="json", **extra)
    assert is_venv_installed() is bool(importlib.util.find_spec("virtualenv") or shutil.which("virtualenv"))


def test_weekday_names_members_and_sets() -> None:
    assert WeekDay.get_weekday_number("sunday") is WeekDay.SUNDAY
    assert WeekDay.convert(WeekDay.MONDAY) is WeekDay.MONDAY
    assert WeekDay.validate_week_day("Monday") == {1}
    assert WeekDay.validate_week_day({WeekDay.SATURDAY, "sunday"}) == {6, 7}
    with pytest.raises(AttributeError, match="Invalid Week Day"):
        WeekDay.get_weekday_number("someday")
    with pytest.raises(TypeError, match="Unsupported type"):
        WeekDay.validate_week_day(3)  # type: ignore[arg-type]


def test_branch_day_of_week_follows_the_logical_date_or_today() -> None:
    with DAG("d", start_date=datetime(2024, 1, 1, tzinfo=UTC)):
        by_date = BranchDayOfWeekOperator(
            task_id="by_date", follow_task_ids_if_true="yes", follow_task_ids_if_false=["no"],
            week_day={WeekDay.SATURDAY, WeekDay.SUNDAY}, use_task_logical_date=True,
        )  # fmt: skip
        today = BranchDayOfWeekOperator(
            task_id="today", follow_task_ids_if_true="yes", follow_task_ids_if_false="no",
            week_day=[day.name for day in WeekDay],
        )  # fmt: skip
    assert by_date.execute({"logical_date": datetime(2024, 1, 6, tzinfo=UTC)}) == "yes"  # a Saturday
    assert by_date.execute({"logical_date": datetime(2024, 1, 1, tzinfo=UTC)}) == ["no"]  # a Monday
    assert today.execute({}) == "yes"
    with pytest.raises(AttributeError, match="Invalid Week Day"):
        BranchDayOfWeekOperator(task_id="bad", follow_task_ids_if_true="a", follow_task_ids_if_false="b", week_day="x")


def _window(lower: Any, upper: Any) -> BranchDateTimeOperator:
    with DAG("d", start_date=datetime(2024, 1, 1, tzinfo=UTC)):
        return BranchDateTimeOperator(
            task_id="window", follow_task_ids_if_true=["inside"], follow_task_ids_if_false=["outside"],
            target_lower=lower, target_upper=upper, use_task_logical_date=True,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("lower", "upper", "at", "follow"),
    [
        (
            datetime(2024, 1, 1, 14, tzinfo=UTC),
            datetime(2024, 1, 1, 15, tzinfo=UTC),
            datetime(2024, 1, 1, 14, 30),
            "inside",
        ),
        (
            datetime(2024, 1, 1, 14, tzinfo=UTC),
            datetime(2024, 1, 1, 15, tzinfo=UTC),
            datetime(2024, 1, 1, 16),
            "outside",
        ),
        (time(15), time(0), datetime(2024, 1, 1, 23), "inside"),  # across midnight: upper moves a day on
        (time(15), time(0), datetime(2024, 1, 1, 12), "outside"),
        (None, time(12), datetime(2024, 1, 1, 11), "inside"),
        (time(12), None, datetime(2024, 1, 1, 11), "outside"),
        (datetime(2024, 1, 1, 10), None, datetime(2024, 1, 1, 11), "inside"),  # naive: the DAG's zone (UTC)
    ],
)
def test_branch_datetime_window(lower: Any, upper: Any, at: datetime, follow: str) -> None:
    assert _window(lower, upper).execute({"logical_date": at.replace(tzinfo=UTC)}) == [follow]


def test_branch_datetime_needs_a_bound() -> None:
    with pytest.raises(DagDefinitionError, match="Both target_upper and target_lower are None"):
        _window(None, None)


def test_setup_and_teardown_work_from_every_import_path() -> None:
    for setup_decorator, teardown_decorator in (
        (dagmap_setup, dagmap_teardown),
        (decorators_setup, decorators_teardown),
    ):

        def make() -> int:
            return 1

        def drop() -> None:
            pass

        with DAG("d") as dag:
            made = setup_decorator(make)()
            teardown_decorator(drop)().as_teardown(setups=made)
            empty = EmptyOperator(task_id="e").as_teardown()
        assert [(t.is_setup, t.is_teardown) for t in dag.tasks] == [(True, False), (False, True), (False, True)]
        assert empty.trigger_rule == "all_done_setup_success"
