"""``from airflow.decorators import dag, task, task_group`` users import from here (or from ``dagmap``).

``setup`` and ``teardown`` exist so that using them is an error that says they are not supported yet.
"""

from dagmap.sdk import dag, setup, task, task_group, teardown

__all__ = ["dag", "setup", "task", "task_group", "teardown"]
