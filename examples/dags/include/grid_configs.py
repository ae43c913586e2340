"""The models that ``mlflow_multimodel`` trains, each with a small hyperparameter grid.

``models`` is plain data (names and lists of numbers) because it travels through XCom as the map input;
the estimators themselves are built inside the train task by :func:`build_estimator`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

RANDOM_STATE = 55

# Kept small on purpose: 12 + 8 candidates x 5 folds train in seconds on 2 cores. Widen them for real work.
models: dict[str, dict[str, Any]] = {
    "lgbm": {
        "params": {
            "learning_rate": [0.05, 0.1],
            "n_estimators": [50, 150],
            "num_leaves": [7, 15, 31],
        },
    },
    "log_reg": {
        # The estimator is a scaler + classifier pipeline, so its parameters carry the step name.
        "params": {
            "model__C": [0.01, 0.1, 1.0, 10.0],
            "model__l1_ratio": [0.0, 1.0],  # 0 = L2 (ridge), 1 = L1 (lasso)
        },
    },
}


def build_estimator(model_type: str) -> BaseEstimator:
    """A fresh, unfitted estimator for ``model_type`` (a key of :data:`models`); one thread each."""
    # Imported here, not at the top: the DAG file imports this module every time it is parsed.
    import lightgbm as lgb
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if model_type == "lgbm":
        return lgb.LGBMClassifier(
            objective="binary", boosting_type="gbdt", random_state=RANDOM_STATE, n_jobs=1, verbose=-1
        )
    if model_type == "log_reg":
        # Scaling belongs inside the pipeline so each cross-validation fold is scaled on its own training part.
        return Pipeline(
            [
                ("scale", StandardScaler()),
                ("model", LogisticRegression(solver="liblinear", max_iter=1000, random_state=RANDOM_STATE)),
            ]
        )
    raise ValueError(f"unknown model type {model_type!r}; known: {sorted(models)}")
