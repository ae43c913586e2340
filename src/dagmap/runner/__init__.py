"""The task runner: runs ONE try of ONE task instance (resolve inputs, render, execute, push, log, finish).

It reaches the metadata store only through a :class:`~dagmap.runner.client.RuntimeClient`, so the same runner
serves the inline executor, worker processes and Celery workers.
"""
