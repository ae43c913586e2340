"""``from airflow.decorators import dag, task, task_group`` users import from here (or from ``dagmap``).

``setup`` and ``teardown`` are Airflow's setup and teardown task decorators.
"""

from dagmap.sdk import dag, setup, task, task_group, teardown

__all__ = ["dag", "setup", "task", "task_group", "teardown"]
