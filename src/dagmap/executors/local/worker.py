"""The LocalExecutor's worker process: set up like the scheduler's process, then run workloads received on
its pipe, one or a batch at a time, until told to stop. Imported by the fork server ahead of time."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection

from dagmap.executors.base import Workload
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState

RunWorkload = Callable[[Workload], TaskInstanceState | None]
RunWorkloads = Callable[[list[Workload]], Mapping[TaskInstanceKey, TaskInstanceState | None]]
"""Runs several workloads, starting and ending their tries in bulk; the state of each (None: not started)."""
PRELOAD = (
    "dagmap.executors.local.worker",
    "dagmap.runner.entry",
    "dagmap.runner.heartbeat",
    "dagmap.runner.run",
    "dagmap.store.runtime_client",
)
"""Imported once by the fork server, so that a new or replacement worker starts in milliseconds."""


def run_workloads(workloads: list[Workload]) -> Mapping[TaskInstanceKey, TaskInstanceState | None]:
    """The default batch runner: :func:`dagmap.runner.run.run_task_instances` on the configured database,
    heartbeating the batch's tries while it runs (so that the scheduler can tell a long batch from a dead one)."""
    from dagmap.config import get_settings
    from dagmap.runner.entry import _client, load_dag
    from dagmap.runner.heartbeat import heartbeating
    from dagmap.runner.run import run_task_instances

    settings = get_settings()
    files = {w.key: w.dag_fileloc for w in workloads}
    try_numbers = {w.key: w.try_number for w in workloads}
    client = _client(settings.sql_alchemy_conn)
    with heartbeating(client, list(files), try_numbers=try_numbers):
        return run_task_instances(
            list(files),
            dag_for=lambda key: load_dag(files[key], key.dag_id),
            client=client,
            log_folder=settings.log_folder,
            try_numbers=try_numbers,
        )


def worker_main(conn: Connection, bootstrap: bytes) -> None:
    """Run workloads received on ``conn`` until told to stop (None) or the parent goes away."""
    environ, path, cwd, run_bytes = pickle.loads(bootstrap)
    os.environ.clear()
    os.environ.update(environ)  # the fork server's environment may be older than the scheduler's
    sys.path[:] = path
    os.chdir(cwd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the scheduler; it decides, via end()
    from dagmap.config import reset_settings
    from dagmap.runner.entry import reset_worker_caches
    from dagmap.store.db import dispose_engines

    reset_settings()
    dispose_engines()
    reset_worker_caches()
    run, run_batch = pickle.loads(run_bytes)
    while True:
        try:
            batch: list[Workload] | None = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        replies: list[tuple[TaskInstanceState | str | None, str | None]]
        try:
            if run_batch is not None:
                states = run_batch(batch)
                replies = [(states.get(w.key), None) for w in batch]
            else:
                replies = [(run(batch[0]), None)]
        except BaseException as error:  # the runner records task errors itself; this guards the pool
            info = "".join(traceback.format_exception(error, limit=20))
            replies = [(TaskInstanceState.FAILED.value, info)] * len(batch)
        try:
            conn.send(replies)
        except OSError:
            return
