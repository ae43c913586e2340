"""The LocalExecutor: long-lived worker processes on the scheduler's machine (pool.py: the scheduler's side,
worker.py: what runs in each worker)."""

from dagmap.executors.local.pool import LocalExecutor
from dagmap.executors.local.worker import PRELOAD, run_workloads

__all__ = ["PRELOAD", "LocalExecutor", "run_workloads"]
