"""The sensors executed directly (no runner), with the poke loop's sleep replaced by a fake clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dagmap import DAG, task
from dagmap.connections import EnvironmentSecretsBackend, set_secrets_backends
from dagmap.errors import AirflowFailException, DagDefinitionError, SensorTimeout, TaskSkipped
from dagmap.sdk.mapped_operator import MappedOperator
from dagmap.sdk.runtime import InMemoryXComSource, prepare_task_for_run
from dagmap.sensors import (
    BaseSensorOperator,
    BashSensor,
    DateTimeSensor,
    FileSensor,
    PokeReturnValue,
    PythonSensor,
    TimeDeltaSensor,
    poke_mode_only,
)
from dagmap.sensors import base as sensor_base
from dagmap.sensors.decorated import DecoratedSensorOperator


@pytest.fixture(autouse=True)
def fake_time(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The loop's clock moves only when it sleeps; returns the sleeps."""
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(sensor_base, "clock", lambda: now[0])
    monkeypatch.setattr(sensor_base, "sleep", sleep)
    return sleeps


def run(operator: Any, context: dict[str, Any] | None = None) -> Any:
    prepared = prepare_task_for_run(operator, map_index=-1, xcom=InMemoryXComSource())
    context = dict(context or {})
    prepared.render_template_fields(context)
    return prepared.execute(context)


def test_python_sensor_pokes_until_true_with_context(fake_time: list[float]) -> None:
    seen: list[str] = []

    def ready(limit: int, ds: str) -> bool:
        seen.append(ds)
        return len(seen) >= limit

    with DAG("d"):
        sensor = PythonSensor(task_id="s", python_callable=ready, op_kwargs={"limit": 3}, poke_interval=2)
    assert run(sensor, {"ds": "2024-01-01"}) is None
    assert seen == ["2024-01-01"] * 3
    assert fake_time == [2, 2]


def test_python_sensor_poke_return_value_is_the_result() -> None:
    with DAG("d"):
        sensor = PythonSensor(task_id="s", python_callable=lambda: PokeReturnValue(True, [1, 2]))
    assert run(sensor) == [1, 2]


def test_timeout_and_soft_fail() -> None:
    with DAG("d"):
        failing = PythonSensor(
            task_id="f", python_callable=lambda: False, poke_interval=1, timeout=timedelta(seconds=3)
        )
        soft = PythonSensor(task_id="s", python_callable=lambda: False, poke_interval=1, timeout=3, soft_fail=True)
    with pytest.raises(SensorTimeout):
        run(failing)
    with pytest.raises(TaskSkipped):
        run(soft)


def test_reschedule_mode_runs_as_poke_mode_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with DAG("d"):
        sensor = PythonSensor(task_id="s", python_callable=lambda: True, mode="reschedule")
    with caplog.at_level(logging.WARNING, logger="dagmap.task"):
        run(sensor)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "reschedule" in warnings[0].getMessage()
    assert sensor.reschedule


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"mode": "defer"}, "mode"),
        ({"poke_interval": -1}, "poke_interval"),
        ({"timeout": "1h"}, "timeout"),
        ({"max_wait": -5}, "max_wait"),
        ({"soft_fail": True, "never_fail": True}, "never_fail"),
    ],
)
def test_invalid_arguments_are_dag_errors(arguments: dict[str, Any], argument: str) -> None:
    with DAG("d"), pytest.raises(DagDefinitionError) as raised:
        PythonSensor(task_id="s", python_callable=lambda: True, **arguments)
    assert raised.value.argument == argument


def test_poke_mode_only() -> None:
    @poke_mode_only
    class Waiter(BaseSensorOperator):
        def poke(self, context: dict[str, Any]) -> bool:
            return True

    with DAG("d"):
        Waiter(task_id="ok")
        with pytest.raises(DagDefinitionError):
            Waiter(task_id="no", mode="reschedule")


def test_base_sensor_needs_poke() -> None:
    with DAG("d"):
        sensor = BaseSensorOperator(task_id="s")
    with pytest.raises(NotImplementedError):
        run(sensor)


@pytest.fixture
def environment_secrets_only() -> Iterator[None]:
    set_secrets_backends([EnvironmentSecretsBackend()])
    yield
    set_secrets_backends(None)


@pytest.mark.usefixtures("environment_secrets_only")
def test_file_sensor_globs_and_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGMAP_CONN_FS_DATA", f'{{"conn_type": "fs", "extra": {{"path": "{tmp_path}"}}}}')
    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "part-0").write_text("x")
    (tmp_path / "report.csv").write_text("x")
    with DAG("d"):
        sensors = {
            name: FileSensor(task_id=f"s{i}", filepath=name, fs_conn_id="fs_data", timeout=0)
            for i, name in enumerate(["report.csv", "*.csv", "full", "empty", "missing.txt"])
        }
        absolute = FileSensor(task_id="abs", filepath=str(tmp_path / "{{ ds }}.csv"), timeout=0)
    for name in ("report.csv", "*.csv", "full"):
        assert run(sensors[name]) is None
    for name in ("empty", "missing.txt"):
        with pytest.raises(SensorTimeout):
            run(sensors[name])
    (tmp_path / "2024-01-01.csv").write_text("x")
    assert run(absolute, {"ds": "2024-01-01"}) is None


def test_time_delta_sensor() -> None:
    past = datetime(2024, 1, 1, tzinfo=UTC)
    with DAG("d"):
        sensor = TimeDeltaSensor(task_id="t", delta=timedelta(hours=1), timeout=0)
    assert run(sensor, {"data_interval_end": past}) is None
    future = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(SensorTimeout):
        run(sensor, {"data_interval_end": future, "logical_date": past})
    with pytest.raises(SensorTimeout):
        run(sensor, {"data_interval_end": None, "logical_date": future})


def test_date_time_sensor_templated_and_naive_in_the_dag_zone() -> None:
    naive_soon = (datetime.now(UTC) + timedelta(hours=3)).replace(tzinfo=None).isoformat()
    with DAG("tokyo", start_date=datetime(2024, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo"))):
        templated = DateTimeSensor(task_id="t", target_time="{{ ds }}T00:00:00", timeout=0)
        tokyo = DateTimeSensor(task_id="n", target_time=naive_soon, timeout=0)
        late = DateTimeSensor(task_id="l", target_time=datetime.now(UTC) + timedelta(days=1), timeout=0)
        with pytest.raises(DagDefinitionError):
            DateTimeSensor(task_id="bad", target_time=12)  # type: ignore[arg-type]
    with DAG("utc", start_date=datetime(2024, 1, 1, tzinfo=UTC)):
        utc = DateTimeSensor(task_id="n", target_time=naive_soon, timeout=0)
    assert run(templated, {"ds": "2024-01-01"}) is None
    assert run(tokyo) is None  # three hours ahead on a UTC clock is six hours ago in Tokyo
    with pytest.raises(SensorTimeout):
        run(utc)
    assert late.target_time.endswith("+00:00")
    with pytest.raises(SensorTimeout):
        run(late)


def test_bash_sensor_exit_codes(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    with DAG("d"):
        done = BashSensor(task_id="done", bash_command=f"test -e {flag}", timeout=0)
        retry = BashSensor(task_id="retry", bash_command="exit 3", retry_exit_code=3, timeout=0)
        fail = BashSensor(task_id="fail", bash_command="exit 4", retry_exit_code=3, timeout=0)
        soft = BashSensor(task_id="soft", bash_command="exit 4", retry_exit_code=3, timeout=0, soft_fail=True)
    with pytest.raises(SensorTimeout):
        run(done)
    flag.write_text("")
    assert run(done) is None
    with pytest.raises(SensorTimeout):
        run(retry)
    with pytest.raises(AirflowFailException, match="return code 4"):
        run(fail)
    with pytest.raises(TaskSkipped):
        run(soft)


def test_task_sensor_decorator_builds_a_sensor() -> None:
    with DAG("d") as dag:

        @task.sensor(poke_interval=0.5, timeout=10, soft_fail=True)
        def wait(x: int) -> PokeReturnValue:
            return PokeReturnValue(is_done=x > 0, xcom_value=x)

        wait(3)
        wait.expand(x=[1, 2])
        with pytest.raises(DagDefinitionError):
            wait(1, 2)
    single, mapped = dag.task_dict["wait"], dag.task_dict["wait__1"]
    assert isinstance(single, DecoratedSensorOperator)
    assert (single.poke_interval, single.timeout, single.soft_fail) == (0.5, 10, True)
    assert run(single) == 3
    assert isinstance(mapped, MappedOperator)
