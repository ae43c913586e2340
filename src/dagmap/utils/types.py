"""``airflow.utils.types``: DagRunType (``manual``, ``scheduled``, ``backfill``; dagmap adds ``test``)."""

from dagmap.states import DagRunType

__all__ = ["DagRunType"]
