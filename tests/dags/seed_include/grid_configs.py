"""Models and (small) hyperparameter grids for the seed's ML DAG; estimators are built inside the task."""

from __future__ import annotations

from typing import Any

models: dict[str, dict[str, Any]] = {
    "lgbm": {"params": {"learning_rate": [0.1], "n_estimators": [20], "num_leaves": [7]}},
    "log_reg": {"params": {"C": [0.1, 1.0], "solver": ["liblinear"]}},
}


def build_estimator(model_type: str) -> Any:
    if model_type == "lgbm":
        import lightgbm as lgb

        return lgb.LGBMClassifier(objective="binary", random_state=55, verbose=-1, n_jobs=1)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=500)
