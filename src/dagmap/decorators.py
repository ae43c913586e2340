"""``from airflow.decorators import dag, task, task_group`` users import from here (or from ``dagmap``)."""

from dagmap.sdk import dag, task, task_group

__all__ = ["dag", "task", "task_group"]
