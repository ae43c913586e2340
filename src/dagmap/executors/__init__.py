"""Executors run task instances somewhere (in-process, worker processes, Celery) and report how they ended.

They never import the runner: the code that runs one instance is handed to them."""

from dagmap.executors.base import Executor, ExecutorEvent, Workload

__all__ = ["Executor", "ExecutorEvent", "Workload"]
