"""The ``mlflow_multimodel`` example DAG run to completion by ``dagmap dags test``, and ``scripts/demo_ml.sh``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def run_dag(env: dict[str, str]) -> dict[str, Any]:
    folder = str(ROOT / "examples" / "dags")
    completed = subprocess.run(
        [str(BIN / "dagmap"), "dags", "test", "mlflow_multimodel", "--dags-folder", folder, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout)


def test_the_dag_trains_one_instance_per_model_and_picks_the_best(
    dagmap_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_DISABLE_TELEMETRY": "true"}

    report = run_dag(env)

    assert report["state"] == "success"
    states = {(ti["task_id"].rsplit(".", 1)[-1], ti["map_index"]): ti["state"] for ti in report["task_instances"]}
    assert states == {
        ("load_data", -1): "success",
        ("preprocessing", -1): "success",
        ("feature_engineering", -1): "success",
        ("get_models", -1): "success",
        ("train", 0): "success",
        ("train", 1): "success",
        ("pick_best", -1): "success",
    }
    instances = report["task_instances"]
    trained = {ti["rendered_map_index"]: ti["return_value"] for ti in instances if ti["task_id"].endswith("train")}
    assert set(trained) == {"lgbm", "log_reg"}
    for model_type, result in trained.items():
        assert result["model_type"] == model_type
        assert result["test_metrics"]["roc_auc"] > 0.7

    best = next(ti["return_value"] for ti in instances if ti["task_id"].endswith("pick_best"))
    expected = max(trained.values(), key=lambda result: result["cv_roc_auc"])
    assert best["model_type"] == expected["model_type"]
    assert best["metric"] == "cv_roc_auc"
    assert best["value"] == pytest.approx(expected["cv_roc_auc"])

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(uri)
    experiment = mlflow.get_experiment_by_name("mlflow_multimodel")
    assert experiment is not None
    runs = mlflow.search_runs([experiment.experiment_id], output_format="list")
    assert sorted(run.info.run_name for run in runs) == [f"lgbm_{report['run_id']}", f"log_reg_{report['run_id']}"]
    assert {run.info.run_id for run in runs} == {result["mlflow_run_id"] for result in trained.values()}


def test_demo_script_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    env = {**os.environ, "BIN": str(BIN), "TMPDIR": str(tmp_path)}
    completed = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo_ml.sh")], env=env, capture_output=True, text=True, timeout=540
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-4000:]
    assert "demo-ml: OK" in completed.stdout
    assert "best: " in completed.stdout
    assert list(tmp_path.iterdir()) == []
