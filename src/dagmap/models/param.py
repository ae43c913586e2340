"""``airflow.models.param``: DAG and task params."""

from dagmap.sdk.params import Param, ParamsDict

__all__ = ["Param", "ParamsDict"]
