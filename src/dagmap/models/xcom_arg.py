"""``airflow.models.xcom_arg``: ``XComArg(task)`` / ``XComArg(task, key=...)`` references."""

from dagmap.sdk.xcom_arg import XComArg

__all__ = ["XComArg"]
