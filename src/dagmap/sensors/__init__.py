"""Sensors (``airflow.sensors.*`` users change only the import prefix): operators that wait for something.

``dagmap.sensors.base``, ``.python``, ``.filesystem``, ``.time_delta``, ``.date_time`` and ``.bash`` mirror
Airflow's modules; the provider sensors live under ``dagmap.providers``.
"""

from dagmap.sensors.base import BaseSensorOperator, PokeReturnValue, poke_mode_only
from dagmap.sensors.bash import BashSensor
from dagmap.sensors.date_time import DateTimeSensor
from dagmap.sensors.filesystem import FileSensor
from dagmap.sensors.python import PythonSensor
from dagmap.sensors.time_delta import TimeDeltaSensor

__all__ = [
    "BaseSensorOperator",
    "BashSensor",
    "DateTimeSensor",
    "FileSensor",
    "PokeReturnValue",
    "PythonSensor",
    "TimeDeltaSensor",
    "poke_mode_only",
]
