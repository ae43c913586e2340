"""dagmap's built-in operators (``airflow.operators.*`` users change only the import prefix)."""

from dagmap.operators.bash import BashOperator
from dagmap.operators.empty import EmptyOperator
from dagmap.operators.python import BranchPythonOperator, PythonOperator, ShortCircuitOperator

DummyOperator = EmptyOperator

__all__ = [
    "BashOperator",
    "BranchPythonOperator",
    "DummyOperator",
    "EmptyOperator",
    "PythonOperator",
    "ShortCircuitOperator",
]
