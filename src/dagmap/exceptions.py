"""``airflow.exceptions`` (and ``airflow.sdk.exceptions``): the exception names DAG files raise and catch.

Each is a :mod:`dagmap.errors` class under its Airflow name; nothing new is defined here.
"""

from dagmap.errors import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    DagNotFound,
    DagRunNotFound,
    ParamValidationError,
    TaskNotFound,
    XComNotFound,
)
from dagmap.errors import DuplicateTaskIdError as DuplicateTaskIdFound
from dagmap.errors import TaskTimeoutError as AirflowTaskTimeout

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "DagNotFound",
    "DagRunNotFound",
    "DuplicateTaskIdFound",
    "ParamValidationError",
    "TaskNotFound",
    "XComNotFound",
]
