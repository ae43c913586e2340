"""dagmap's built-in operators (``airflow.operators.*`` users change only the import prefix)."""

from dagmap.operators.bash import BashOperator
from dagmap.operators.branch import BaseBranchOperator
from dagmap.operators.datetime import BranchDateTimeOperator
from dagmap.operators.empty import EmptyOperator
from dagmap.operators.latest_only import LatestOnlyOperator
from dagmap.operators.python import BranchPythonOperator, PythonOperator, ShortCircuitOperator
from dagmap.operators.trigger_dagrun import TriggerDagRunOperator
from dagmap.operators.weekday import BranchDayOfWeekOperator

DummyOperator = EmptyOperator

__all__ = [
    "BaseBranchOperator",
    "BashOperator",
    "BranchDateTimeOperator",
    "BranchDayOfWeekOperator",
    "BranchPythonOperator",
    "DummyOperator",
    "EmptyOperator",
    "LatestOnlyOperator",
    "PythonOperator",
    "ShortCircuitOperator",
    "TriggerDagRunOperator",
]
