"""Workload runners for executor tests: module-level, so that worker processes can import them.

Each writes ``<task_id>.<map_index>.<try>.pid`` (its process id) into ``workload.dag_fileloc`` (a directory)
before acting as its task id's first word says.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagmap.executors.base import Workload
from dagmap.states import TaskInstanceState

LONG = 60.0
"""How long a "sleep" task sleeps: far longer than any test waits, shorter than a runaway CI job."""


def pid_file(directory: Path | str, task_id: str, map_index: int = -1, try_number: int = 1) -> Path:
    return Path(directory) / f"{task_id}.{map_index}.{try_number}.pid"


def behaving_runner(workload: Workload) -> TaskInstanceState | None:
    key = workload.key
    pid_file(workload.dag_fileloc, key.task_id, key.map_index, workload.try_number).write_text(str(os.getpid()))
    kind = key.task_id.split("_")[0]
    if kind == "sleep":  # until killed
        time.sleep(LONG)
    elif kind == "exit":  # the process vanishes without a word, as a segfault would
        os._exit(3)
    elif kind == "sysexit":
        raise SystemExit(4)
    elif kind == "interrupt":
        raise KeyboardInterrupt
    elif kind == "none":  # the runner found the instance not startable
        return None
    elif kind == "fail":
        return TaskInstanceState.FAILED
    return TaskInstanceState.SUCCESS
