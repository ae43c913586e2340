"""Evaluation of a fitted binary classifier on held-out data, and logging of the scores to MLflow."""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


def test(clf: Any, X_test: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Predicted classes and predicted probabilities of the positive class for ``X_test``."""
    y_pred_class = pd.Series(clf.predict(X_test), index=X_test.index)
    y_pred_proba = pd.Series(clf.predict_proba(X_test)[:, 1], index=X_test.index)
    return y_pred_class, y_pred_proba


def eval_metrics(y_true: pd.Series, y_pred_class: pd.Series, y_pred_proba: pd.Series) -> dict[str, float]:
    """Accuracy, ROC AUC and F1 (of the positive class) as plain floats."""
    return {
        "accuracy": float(accuracy_score(y_true, y_pred_class)),
        "roc_auc": float(roc_auc_score(y_true, y_pred_proba)),
        "f1": float(f1_score(y_true, y_pred_class)),
    }


def log_all_eval_metrics(y_true: pd.Series, y_pred_class: pd.Series, y_pred_proba: pd.Series) -> dict[str, float]:
    """Compute the test metrics and log them to the active MLflow run (prefixed ``test_``); return them."""
    scores = eval_metrics(y_true, y_pred_class, y_pred_proba)
    mlflow.log_metrics({f"test_{name}": value for name, value in scores.items()})
    return scores
