"""Sensors (``airflow.sensors.*`` users change only the import prefix): operators that wait for something.

``dagmap.sensors.base``, ``.python``, ``.filesystem``, ``.time_delta``, ``.date_time``, ``.time_sensor``, ``.weekday``,
``.external_task`` and ``.bash`` mirror
Airflow's modules; the provider sensors live under ``dagmap.providers``.
"""

from dagmap.sensors.base import BaseSensorOperator, PokeReturnValue, poke_mode_only
from dagmap.sensors.bash import BashSensor
from dagmap.sensors.date_time import DateTimeSensor
from dagmap.sensors.external_task import ExternalTaskMarker, ExternalTaskSensor
from dagmap.sensors.filesystem import FileSensor
from dagmap.sensors.python import PythonSensor
from dagmap.sensors.time_delta import TimeDeltaSensor
from dagmap.sensors.time_sensor import TimeSensor
from dagmap.sensors.weekday import DayOfWeekSensor

__all__ = [
    "BaseSensorOperator",
    "BashSensor",
    "DateTimeSensor",
    "DayOfWeekSensor",
    "ExternalTaskMarker",
    "ExternalTaskSensor",
    "FileSensor",
    "PokeReturnValue",
    "PythonSensor",
    "TimeDeltaSensor",
    "TimeSensor",
    "poke_mode_only",
]
