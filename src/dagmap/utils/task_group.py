"""``airflow.utils.task_group``: TaskGroup (and the mapped kind ``@task_group(...).expand`` builds)."""

from dagmap.sdk.task_group import MappedTaskGroup, TaskGroup

__all__ = ["MappedTaskGroup", "TaskGroup"]
