"""``airflow.models.dag``: the DAG class."""

from dagmap.sdk.dag import DAG

__all__ = ["DAG"]
