"""Workload runners for executor tests: module-level, so that worker processes can import them.

Each appends its process id to ``<task_id>.<map_index>.<try>.pid`` in ``workload.dag_fileloc`` (a directory),
one line per delivery, before acting as its task id's first word says.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from dagmap.executors.base import Workload
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState

LONG = 60.0
"""How long a "sleep" task sleeps: far longer than any test waits, shorter than a runaway CI job."""


def pid_file(directory: Path | str, task_id: str, map_index: int = -1, try_number: int = 1) -> Path:
    return Path(directory) / f"{task_id}.{map_index}.{try_number}.pid"


def deliveries(directory: Path | str, task_id: str, map_index: int = -1, try_number: int = 1) -> list[int]:
    """The process ids that received this workload, in order (empty before the first)."""
    path = pid_file(directory, task_id, map_index, try_number)
    return [int(line) for line in path.read_text().splitlines()] if path.exists() else []


def behaving_runner(workload: Workload) -> TaskInstanceState | None:
    key = workload.key
    path = pid_file(workload.dag_fileloc, key.task_id, key.map_index, workload.try_number)
    redelivered = path.exists()
    with path.open("a") as handle:
        handle.write(f"{os.getpid()}\n")
    kind = key.task_id.split("_")[0]
    if kind == "sleep":  # until killed; a redelivery finds the instance running, as the real runner would
        if redelivered:
            return None
        time.sleep(LONG)
    elif kind == "wait":  # until the test opens the gate (a file named "gate"), bounded by LONG
        gate, deadline = Path(workload.dag_fileloc) / "gate", time.monotonic() + LONG
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
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


def behaving_batch_runner(workloads: list[Workload]) -> Mapping[TaskInstanceKey, TaskInstanceState | None]:
    """Runs a batch one by one with :func:`behaving_runner`; like the real batch runner, reports at the end."""
    return {workload.key: behaving_runner(workload) for workload in workloads}
