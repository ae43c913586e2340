"""``self.log`` on operators and the smaller ``airflow.utils`` modules: decorators, state, types, timezone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dagmap import DAG, BaseOperator
from dagmap.operators import EmptyOperator, PythonOperator
from dagmap.states import DagRunState, DagRunType, TaskInstanceState
from dagmap.utils import timezone
from dagmap.utils.decorators import apply_defaults
from dagmap.utils.state import State
from dagmap.utils.state import TaskInstanceState as UtilsTaskInstanceState
from dagmap.utils.types import DagRunType as UtilsDagRunType


class _Logs(BaseOperator):
    @apply_defaults
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def execute(self, context: dict[str, Any]) -> str:
        self.log.info("hello from %s", self.task_id)
        return "done"


def test_operators_have_airflows_log(caplog: pytest.LogCaptureFixture) -> None:
    with DAG("d"):
        task = _Logs(task_id="logs")
        named = EmptyOperator(task_id="named", logger_name="my.logger")
        mapped = PythonOperator.partial(task_id="mapped", python_callable=print).expand(op_args=[[1]])
    with caplog.at_level(logging.INFO):
        assert task.execute({}) == "done"
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        (f"dagmap.task.operators.{__name__}._Logs", "hello from logs")
    ]
    assert named.log.name == "dagmap.task.operators.my.logger"
    assert mapped.log.name == "dagmap.task.operators.dagmap.operators.python.PythonOperator"
    own = logging.getLogger("own")
    task.log = own
    assert task.log is own


def test_apply_defaults_is_a_no_op() -> None:
    def function() -> None:
        return None

    assert apply_defaults(function) is function


def test_state_and_types() -> None:
    assert UtilsTaskInstanceState is TaskInstanceState and UtilsDagRunType is DagRunType
    assert State.SUCCESS == "success" and State.NONE is None
    assert TaskInstanceState.SKIPPED in State.finished and None in State.unfinished
    assert State.RUNNING in State.unfinished and State.RUNNING not in State.finished
    assert DagRunState.SUCCESS == "success"


def test_timezone_helpers_follow_the_default_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    from dagmap.config import reset_settings

    monkeypatch.setenv("DAGMAP__CORE__DEFAULT_TIMEZONE", "Europe/Amsterdam")
    reset_settings()
    amsterdam = ZoneInfo("Europe/Amsterdam")
    try:
        assert timezone.datetime(2024, 7, 1, 12) == datetime(2024, 7, 1, 10, tzinfo=UTC)
        assert timezone.datetime(2024, 7, 1, 12, tzinfo=UTC).hour == 12
        assert timezone.make_aware(datetime(2024, 1, 1, 12)) == datetime(2024, 1, 1, 11, tzinfo=UTC)
        assert timezone.make_aware(datetime(2024, 1, 1, 12)).utcoffset() == timedelta(hours=1)
        assert timezone.make_naive(datetime(2024, 1, 1, 11, tzinfo=UTC)) == datetime(2024, 1, 1, 12)
        assert timezone.make_naive(datetime(2024, 1, 1, 11, tzinfo=UTC), UTC) == datetime(2024, 1, 1, 11)
        assert timezone.convert_to_utc(datetime(2024, 1, 1, 12)) == datetime(2024, 1, 1, 11, tzinfo=UTC)
        assert timezone.convert_to_utc(None) is None
        assert timezone.parse("2024-01-01T12:00:00") == datetime(2024, 1, 1, 12, tzinfo=amsterdam)
        assert timezone.parse("2024-01-01T12:00:00+00:00") == datetime(2024, 1, 1, 12, tzinfo=UTC)
        assert timezone.utcnow().tzinfo is UTC and timezone.utc is UTC
        with pytest.raises(ValueError, match="naive"):
            timezone.make_aware(datetime(2024, 1, 1, tzinfo=UTC))
        with pytest.raises(ValueError, match="naive"):
            timezone.make_naive(datetime(2024, 1, 1))
    finally:
        reset_settings()
