"""The sensor DAGs of ``dags/`` run through ``dags test`` (scheduler loop, runner, store, inline executor) on
SQLite and PostgreSQL and end as their ``expect:`` blocks say; plus what the blocks cannot say."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dagmap.config import get_settings
from dagmap.services.dag_test import RunReport, run_dag_test

HERE = Path(__file__).resolve().parent
DAGS = HERE / "dags"
FILES = sorted(DAGS.glob("*.py"))
LOGICAL_DATE = datetime(2024, 1, 1, tzinfo=UTC)


def _parse_expect() -> Any:
    name = "corpus_simulator"
    if name not in sys.modules:
        path = HERE.parents[1] / "unit" / "dag_processing" / "corpus_simulator.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name].parse_expect


def _run(path: Path) -> tuple[RunReport, Any]:
    expect = _parse_expect()(path.read_text().split('"""')[1])
    return run_dag_test(path.stem, logical_date=LOGICAL_DATE, conf=expect.conf, dags_folder=DAGS), expect


def _explain(report: RunReport) -> str:
    return "\n".join(
        f"{ti.task_id}[{ti.map_index}] {ti.state} try={ti.try_number} -> {ti.return_value!r}"
        for ti in report.task_instances
    )


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_sensor_dag_runs_as_expected(path: Path, db_url: str) -> None:
    report, expect = _run(path)
    states = {(ti.task_id, ti.map_index): ti.state for ti in report.task_instances}
    values = {(ti.task_id, ti.map_index): ti.return_value for ti in report.task_instances}
    assert report.state == expect.run, _explain(report)
    for expectation in expect.tasks:
        for position, index in enumerate(expectation.indexes or [-1]):
            key = (expectation.task_id, index)
            assert states.get(key) == expectation.state, (key, _explain(report))
            if expectation.values is not None:
                assert values[key] == expectation.values[position], (key, values[key])


def _log(report: RunReport, task_id: str, map_index: int, attempt: int) -> str:
    folder = get_settings().log_folder
    (path,) = folder.glob(
        f"dag_id={report.dag_id}/run_id=*/task_id={task_id}/map_index={map_index}/attempt={attempt}.log"
    )
    return path.read_text()


def test_a_timed_out_sensor_is_not_retried_but_execution_timeout_is(db_url: str) -> None:
    report, _ = _run(DAGS / "sensor_python_timeout.py")
    tries = {ti.task_id: (ti.state, ti.try_number) for ti in report.task_instances}
    assert tries["hard"] == ("failed", 1)
    assert tries["slow"] == ("failed", 2)
    assert "execution_timeout" in _log(report, "slow", -1, 2)
    assert "Sensor has timed out" in _log(report, "hard", -1, 1)
    assert "Sensor has timed out" in _log(report, "soft", -1, 1)


def test_mapped_sensors_poke_until_done_and_reschedule_mode_warns_once(db_url: str) -> None:
    report, _ = _run(DAGS / "sensor_mapped.py")
    assert [_log(report, "wait_for", index, 1).count("Poking callable") for index in range(3)] == [1, 2, 3]
    text = _log(report, "check", 1, 1)
    assert text.count("mode='reschedule' is not supported by dagmap") == 1
    assert "reschedule" not in _log(report, "wait_for", 0, 1)
