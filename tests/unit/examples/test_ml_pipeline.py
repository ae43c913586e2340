"""The logic behind the ``mlflow_multimodel`` example DAG, run as plain functions against a temporary MLflow store."""

from __future__ import annotations

import itertools
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

EXAMPLE_DAGS = Path(__file__).resolve().parents[3] / "examples" / "dags"
if str(EXAMPLE_DAGS) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DAGS))

from include import grid_configs, ml_pipeline  # noqa: E402

from dagmap.xcom.serde import deserialize, serialize  # noqa: E402

pytestmark = [
    # MLflow warns about its own type hints when some of its modules are imported.
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
]

FEATURE_COLUMNS = [
    "year",
    "wage",
    "race_asian",
    "race_black",
    "race_other",
    "race_white",
    "education_advanced_degree",
    "education_college_grad",
    "education_hs_grad",
    "education_lt_hs_grad",
    "education_some_college",
    "job_class_information",
    "health_le_good",
    "health_insurance_yes",
    "age_bins",
    "never_married",
]

TINY_GRIDS: dict[str, dict[str, list[Any]]] = {
    "lgbm": {"n_estimators": [30], "num_leaves": [7, 15]},
    "log_reg": {"model__C": [0.1, 1.0]},
}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return ml_pipeline.load_data()


@pytest.fixture(scope="module")
def clean(raw: pd.DataFrame) -> pd.DataFrame:
    return ml_pipeline.preprocessing(raw.copy())


@pytest.fixture(scope="module")
def features(clean: pd.DataFrame) -> pd.DataFrame:
    return ml_pipeline.feature_engineering(clean.copy())


@pytest.fixture(scope="module")
def mlflow_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for the module: creating MLflow's tables takes seconds."""
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture
def tracking(mlflow_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{mlflow_dir / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return uri


def test_load_data_reads_the_bundled_survey_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("load_data tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    df = ml_pipeline.load_data()
    assert df.shape == (3000, 12)
    assert {"age", "maritl", "race", "education", "jobclass", "wage"} <= set(df.columns)
    assert (df["maritl"] == "1. Never Married").sum() == 648


def test_preprocessing_cleans_labels_and_drops_uninformative_columns(clean: pd.DataFrame) -> None:
    assert list(clean.columns) == [
        "year",
        "age",
        "marital_status",
        "race",
        "education",
        "job_class",
        "health",
        "health_insurance",
        "wage",
    ]
    assert set(clean["marital_status"]) == {"never_married", "married", "widowed", "divorced", "separated"}
    assert set(clean["education"]) == {"lt_hs_grad", "hs_grad", "some_college", "college_grad", "advanced_degree"}
    assert set(clean["health"]) == {"le_good", "ge_very_good"}
    assert len(clean) == 3000


def test_feature_engineering_one_hots_bins_and_derives_the_target(clean: pd.DataFrame, features: pd.DataFrame) -> None:
    assert list(features.columns) == FEATURE_COLUMNS
    assert all(pd.api.types.is_numeric_dtype(dtype) for dtype in features.dtypes)
    assert features["never_married"].sum() == (clean["marital_status"] == "never_married").sum() == 648
    assert set(features["age_bins"]) == {1, 2, 3, 4, 5}
    # An 18-year-old falls in the first bin, a 45-year-old in the third.
    assert features.loc[clean["age"] == 18, "age_bins"].eq(1).all()
    assert features.loc[clean["age"] == 45, "age_bins"].eq(3).all()
    # Exactly one race and one education column is set per row.
    assert features.filter(like="race_").sum(axis=1).eq(1).all()
    assert features.filter(like="education_").sum(axis=1).eq(1).all()


def test_each_step_output_survives_the_xcom_encoding(
    raw: pd.DataFrame, clean: pd.DataFrame, features: pd.DataFrame
) -> None:
    # Column labels, and the raw frame's object columns, come back with pandas' string dtype (docs/xcom.md).
    pd.testing.assert_frame_equal(deserialize(serialize(features)), features, check_column_type=False)
    pd.testing.assert_frame_equal(deserialize(serialize(clean)), clean, check_column_type=False)
    pd.testing.assert_frame_equal(deserialize(serialize(raw)), raw, check_column_type=False, check_dtype=False)


def test_get_models_is_plain_data_whose_grids_fit_the_estimators() -> None:
    infos = ml_pipeline.get_models()
    assert json.loads(json.dumps(infos)) == infos
    assert [info["model_type"] for info in infos] == ["lgbm", "log_reg"]
    for info in infos:
        estimator = grid_configs.build_estimator(info["model_type"])
        grid = info["params"]
        for values in itertools.product(*grid.values()):
            estimator.set_params(**dict(zip(grid, values, strict=True)))  # raises on a misspelt parameter


def test_build_estimator_refuses_an_unknown_model() -> None:
    with pytest.raises(ValueError, match="unknown model type 'svm'"):
        grid_configs.build_estimator("svm")


def test_tracking_uri_defaults_to_sqlite_in_dagmap_home(dagmap_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = ml_pipeline.tracking_uri()
    assert uri == f"sqlite:///{dagmap_home / 'mlflow.db'}"
    assert ml_pipeline._artifact_location(uri) == (dagmap_home / "mlartifacts").resolve().as_uri()
    assert ml_pipeline._artifact_location("http://127.0.0.1:5000") is None


@pytest.mark.parametrize(("preset", "expected"), [(None, "true"), ("false", "false")])
def test_mlflow_telemetry_is_off_unless_the_environment_opts_in(
    preset: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if preset is None:
        monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "unset")  # so that teardown restores the original state
        monkeypatch.delenv("MLFLOW_DISABLE_TELEMETRY")
    else:
        monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", preset)
    ml_pipeline._mlflow()
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == expected


@pytest.mark.parametrize("model_type", ["lgbm", "log_reg"])
def test_train_logs_params_metrics_and_a_loadable_model(
    model_type: str, features: pd.DataFrame, tracking: str, mlflow_dir: Path
) -> None:
    import mlflow

    result = ml_pipeline.train(
        features, {"model_type": model_type, "params": TINY_GRIDS[model_type]}, "manual__unit", cv=3
    )

    assert json.loads(json.dumps(result)) == result  # an XCom value: plain data
    assert result["model_type"] == model_type
    assert set(result["best_params"]) == set(TINY_GRIDS[model_type])
    assert result["cv_roc_auc"] > 0.7
    assert result["test_metrics"]["roc_auc"] > 0.7
    assert 0.7 < result["test_metrics"]["accuracy"] <= 1.0
    assert 0.0 < result["test_metrics"]["f1"] <= 1.0

    run = mlflow.get_run(result["mlflow_run_id"])
    assert run.info.run_name == f"{model_type}_manual__unit"
    assert run.data.params["model_type"] == model_type
    assert run.data.params["cv_folds"] == "3"
    for name, value in result["best_params"].items():
        assert run.data.params[name] == str(value)
    assert run.data.metrics["test_roc_auc"] == pytest.approx(result["test_metrics"]["roc_auc"])
    assert run.data.metrics["cv_roc_auc"] == pytest.approx(result["cv_roc_auc"])
    assert {"test_accuracy", "test_f1"} <= set(run.data.metrics)

    model = mlflow.pyfunc.load_model(result["model_uri"])
    predictions = model.predict(features.drop(columns=["never_married"]).astype("float64").head(20))
    assert set(pd.Series(predictions).unique()) <= {0, 1}
    # Artifacts sit beside the database, not in the working directory.
    assert any((mlflow_dir / "mlartifacts").rglob("MLmodel"))


def test_setup_mlflow_creates_the_experiment_once(tracking: str) -> None:
    first = ml_pipeline.setup_mlflow("unit_setup")
    assert ml_pipeline.setup_mlflow("unit_setup") == first


def result(model_type: str, cv_roc_auc: float, test_roc_auc: float = 0.8) -> dict[str, Any]:
    return {
        "model_type": model_type,
        "mlflow_run_id": f"run-{model_type}",
        "model_uri": f"models:/m-{model_type}",
        "best_params": {},
        "cv_roc_auc": cv_roc_auc,
        "test_metrics": {"accuracy": 0.8, "roc_auc": test_roc_auc, "f1": 0.5},
    }


def test_pick_best_chooses_by_cross_validated_score() -> None:
    best = ml_pipeline.pick_best(iter([result("lgbm", 0.81, test_roc_auc=0.9), result("log_reg", 0.83, 0.8)]))
    assert best == {
        "model_type": "log_reg",
        "metric": "cv_roc_auc",
        "value": 0.83,
        "test_roc_auc": 0.8,
        "mlflow_run_id": "run-log_reg",
        "model_uri": "models:/m-log_reg",
    }


def test_pick_best_keeps_the_first_of_equals_and_refuses_nothing() -> None:
    assert ml_pipeline.pick_best([result("lgbm", 0.8), result("log_reg", 0.8)])["model_type"] == "lgbm"
    with pytest.raises(ValueError, match="no trained models"):
        ml_pipeline.pick_best([])
