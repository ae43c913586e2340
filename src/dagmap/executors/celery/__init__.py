"""The CeleryExecutor: workloads travel as plain JSON messages to Celery workers (``dagmap celery worker``).

Needs the ``celery`` extra. The app and its one task live in :mod:`.app`, the message format in
:mod:`.messages`, the scheduler side in :mod:`.executor`, the worker entry point in :mod:`.worker`.
"""

from dagmap.executors.celery.executor import CeleryExecutor

__all__ = ["CeleryExecutor"]
