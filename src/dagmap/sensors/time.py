"""Airflow 3's ``airflow.providers.standard.sensors.time``: ``TimeSensor``."""

from dagmap.sensors.time_sensor import TimeSensor

__all__ = ["TimeSensor"]
