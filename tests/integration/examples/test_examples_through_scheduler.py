"""Both example DAGs run through a real ``dagmap scheduler`` process (LocalExecutor, two workers, a SQLite
metadata database of the test's own), triggered by ``dagmap dags trigger --wait --json``: the ELT example on
a DuckDB and on a PostgreSQL warehouse, the ML example into an MLflow store of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "scheduler_service"
if str(HARNESS) not in sys.path:
    sys.path.insert(0, str(HARNESS))

from service_harness import (  # noqa: E402  (after the path is set)
    DAGMAP,
    ServiceProcess,
    instances,
    live_job_of,
    service_env,
    services,
    sqlite_url,
    wait_until,
)
from test_elt_example import DAY, FILES, HEADER, TOTALS, records, upload  # noqa: E402

from dagmap.providers.amazon.hooks.s3 import S3Hook  # noqa: E402

__all__ = ["services", "sqlite_url"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(420),
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "dags"
PATIENT = {
    # The harness's 3-second fault timeouts are for fault tests; two CPU-bound trainings on two busy cores
    # must not be taken for lost workers.
    "DAGMAP__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "120",
    "DAGMAP__SCHEDULER__TASK_QUEUED_TIMEOUT": "120",
    "DAGMAP__SCHEDULER__SCHEDULER_HEARTBEAT_TIMEOUT": "60",
    "DAGMAP__CORE__EXECUTOR": "LocalExecutor",
    "DAGMAP__CORE__PARALLELISM": "2",
}


def dagmap(
    args: list[str], env: dict[str, str], tmp_path: Path, *, timeout: float, watch: ServiceProcess | None = None
) -> str:
    """Run ``dagmap <args>`` to its end (failing at once if the scheduler exits meanwhile); returns stdout."""
    name = args[1] if len(args) > 1 else args[0]
    stdout_path, stderr_path = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen([DAGMAP, *args], env=env, stdout=stdout, stderr=stderr)
    try:
        watched = [watch] if watch else []
        wait_until(lambda: process.poll() is not None, timeout=timeout, what=f"dagmap {name}", watch=watched)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == 0, f"dagmap {' '.join(args)}: {process.returncode}\n{stderr_path.read_text()[-4000:]}"
    return stdout_path.read_text()


def trigger(
    dag_id: str, env: dict[str, str], tmp_path: Path, scheduler: ServiceProcess, *options: str
) -> dict[str, Any]:
    command = ["dags", "trigger", dag_id, *options, "--wait", "--json", "--poll-interval", "0.2"]
    report: dict[str, Any] = json.loads(dagmap(command, env, tmp_path, watch=scheduler, timeout=300))
    return report


def assert_queued_by_the_scheduler(url: str, report: dict[str, Any], scheduler: ServiceProcess) -> None:
    job_id = live_job_of(url, scheduler.pid)
    assert job_id is not None
    queued_by = {queued for _, _, state, _, queued in instances(url, report["dag_id"], report["run_id"])}
    assert queued_by == {str(job_id)}, "every instance was queued by the scheduler process"


def results_of(report: dict[str, Any]) -> dict[tuple[str, int], tuple[str, Any]]:
    return {(ti["task_id"], ti["map_index"]): (ti["state"], ti["return_value"]) for ti in report["task_instances"]}


def test_mapping_elt_loads_each_file_in_its_own_instance(
    s3_bucket: str,
    warehouse: str,
    sqlite_url: str,
    tmp_path: Path,
    services: Callable[..., ServiceProcess],
) -> None:
    upload(s3_bucket, FILES)
    env = service_env(sqlite_url, tmp_path / "home", EXAMPLES, **PATIENT)
    # mapping_elt starts paused (is_paused_upon_creation): a run triggered while it is paused stays queued.
    # Unpaused before the scheduler starts, so that the CLI and the DAG processor never store it at once.
    dagmap(["dags", "unpause", "mapping_elt"], env, tmp_path, timeout=60)
    scheduler = services(["scheduler"], env)

    conf = json.dumps({"bucket": s3_bucket})
    report = trigger("mapping_elt", env, tmp_path, scheduler, "--conf", conf, "--logical-date", "2022-04-12")

    results = results_of(report)
    assert report["state"] == "success", results
    assert all(state == "success" for state, _ in results.values()), results
    assert results[("get_s3_files", -1)][1] == [[key] for key in FILES]
    loads = {index: rows for (task, index), (_, rows) in results.items() if task == "copy_to_warehouse"}
    assert loads == {0: 2, 1: 4, 2: 1}, "one load instance per file, each returning its file's row count"
    assert sorted(index for task, index in results if task == "move_s3") == [0, 1, 2]
    assert_queued_by_the_scheduler(sqlite_url, report, scheduler)

    assert records("SELECT COUNT(*), COUNT(DISTINCT order_id) FROM elt_orders WHERE ds = DATE '2022-04-12'") == [(7, 7)]
    totals = records("SELECT region, orders, amount FROM elt_region_totals WHERE ds = DATE '2022-04-12' ORDER BY 1")
    assert [(region, orders, Decimal(str(amount))) for region, orders, amount in totals] == TOTALS

    s3 = S3Hook(aws_conn_id="s3")
    assert s3.list_keys(s3_bucket, prefix=f"processed/{DAY}/") == [f"processed/{key}" for key in FILES]
    assert s3.list_keys(s3_bucket, prefix=f"{DAY}/") == []
    assert s3.read_key(f"processed/{DAY}/orders_2.csv", s3_bucket) == HEADER + "7,gus,apac,100.00\n"
    assert scheduler.stop() == 0


def test_mlflow_multimodel_trains_one_instance_per_model_and_logs_the_models(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}"
    (tmp_path / "mlflow").mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    env = service_env(sqlite_url, tmp_path / "home", EXAMPLES, **PATIENT)
    scheduler = services(["scheduler"], env)

    report = trigger("mlflow_multimodel", env, tmp_path, scheduler)

    results = {(task_id.rsplit(".", 1)[-1], index): value for (task_id, index), value in results_of(report).items()}
    assert report["state"] == "success", results
    assert {key: state for key, (state, _) in results.items()} == {
        ("load_data", -1): "success",
        ("preprocessing", -1): "success",
        ("feature_engineering", -1): "success",
        ("get_models", -1): "success",
        ("train", 0): "success",
        ("train", 1): "success",
        ("pick_best", -1): "success",
    }
    trained = {
        ti["rendered_map_index"]: ti["return_value"] for ti in report["task_instances"] if ti["task_id"] == "train"
    }
    assert set(trained) == {"lgbm", "log_reg"}, "one train instance per model, named by its model"
    best = results[("pick_best", -1)][1]
    expected = max(trained.values(), key=lambda result: result["cv_roc_auc"])
    assert (best["model_type"], best["metric"]) == (expected["model_type"], "cv_roc_auc")
    assert best["value"] == pytest.approx(expected["cv_roc_auc"])
    assert_queued_by_the_scheduler(sqlite_url, report, scheduler)
    assert scheduler.stop() == 0

    import mlflow
    from mlflow.entities import LoggedModelStatus

    mlflow.set_tracking_uri(uri)
    experiment = mlflow.get_experiment_by_name("mlflow_multimodel")
    assert experiment is not None
    runs = {run.info.run_name: run for run in mlflow.search_runs([experiment.experiment_id], output_format="list")}
    assert set(runs) == {f"lgbm_{report['run_id']}", f"log_reg_{report['run_id']}"}
    models = mlflow.search_logged_models([experiment.experiment_id], output_format="list")
    ready = {model.source_run_id for model in models if model.status == LoggedModelStatus.READY}
    for model_type, result in trained.items():
        run = runs[f"{model_type}_{report['run_id']}"]
        assert run.info.run_id == result["mlflow_run_id"]
        assert run.data.metrics["test_roc_auc"] > 0.7, f"{model_type}: {run.data.metrics}"
        assert run.data.metrics["test_roc_auc"] == pytest.approx(result["test_metrics"]["roc_auc"])
        assert run.info.run_id in ready, f"{model_type}: no model logged"
    assert os.listdir(tmp_path / "mlflow" / "mlartifacts"), "the artifacts sit beside the store"
