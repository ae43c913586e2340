"""``tasks logs``: the log file of one try of one task instance, why there is none (yet), and following it while
the try runs. Reads the database and the log folder, never writes; log files are already secret-masked.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from dagmap.config import get_settings
from dagmap.errors import TaskInstanceNotFound, TaskNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.logs import log_path
from dagmap.services.dags import find_run
from dagmap.states import TaskInstanceState
from dagmap.store.queries import Session, SessionFactory, serialized_dags
from dagmap.store.queries import inspect as queries

S = TaskInstanceState
WAITING: frozenset[str | None] = frozenset(
    {None, S.SCHEDULED, S.QUEUED, S.UP_FOR_RETRY, S.UP_FOR_RESCHEDULE, S.RESTARTING, S.DEFERRED}
)
"""States of an instance whose next try is still to come."""
POLL_SECONDS = 0.5


class LogStatus(StrEnum):
    WRITTEN = "written"
    """The file is there: the try ended, or it has run longer than a second (and is written live)."""
    NOT_STARTED = "not_started"
    """The instance waits for this try to start."""
    NOT_WRITTEN_YET = "not_written_yet"
    """The try runs; its log is kept in memory until it has run a second or ends."""
    NEVER_RAN = "never_ran"
    """The instance ended (skipped, upstream_failed, removed, ...) without starting this try."""
    MISSING = "missing"
    """The try ended but its file is not in this log folder (another machine's, or deleted)."""


@dataclass(frozen=True)
class LogTarget:
    """One try of one task instance and where its log is."""

    key: TaskInstanceKey
    try_number: int
    latest_try: int
    """The instance's latest try (0: none started yet)."""
    state: str | None
    """The instance's state when looked up."""
    path: Path
    hostname: str | None
    """The host the try ran on, when known."""

    @property
    def running(self) -> bool:
        return self.state == S.RUNNING and self.try_number == self.latest_try

    @property
    def waiting(self) -> bool:
        return self.try_number == self.latest_try + 1 and self.state in WAITING

    @property
    def elsewhere(self) -> bool:
        """The try ran (or runs) on another machine, which writes its log there."""
        return bool(self.hostname) and self.hostname != socket.gethostname()

    def describe(self) -> str:
        index = f"[{self.key.map_index}]" if self.key.map_index >= 0 else ""
        return f"try {self.try_number} of {self.key.task_id}{index}"

    def status(self) -> LogStatus:
        if self.path.is_file():
            return LogStatus.WRITTEN
        if self.waiting:
            return LogStatus.NOT_STARTED
        if self.running:
            return LogStatus.NOT_WRITTEN_YET
        if self.try_number > self.latest_try:
            return LogStatus.NEVER_RAN
        return LogStatus.MISSING

    def explain(self, status: LogStatus) -> str:
        """Why there is nothing (yet) to show, in a sentence."""
        if status is LogStatus.NOT_STARTED:
            state = self.state or "waiting for its upstream tasks (no status)"
            return f"{self.describe()} has not started yet (the instance is {state}): no log yet"
        if status is LogStatus.NOT_WRITTEN_YET:
            if self.elsewhere:
                return f"{self.describe()} is running on {self.hostname}: its log is written there, not here"
            return f"{self.describe()} is running; its log is written once it has run for a second, or when it ends"
        if status is LogStatus.NEVER_RAN:
            return f"{self.describe()} never ran: the instance is {self.state or 'without status'}"
        if status is LogStatus.MISSING:
            where = ""
            if self.elsewhere:
                where = f"; it ran on {self.hostname} (logs are written on the machine that runs the try)"
            return f"no log file of {self.describe()} at {self.path}{where}"
        return f"{self.describe()}: {self.path}"


def find_log(
    session: Session,
    dag_id: str,
    run: str,
    task_id: str,
    *,
    map_index: int | None = None,
    try_number: int | None = None,
    log_folder: Path | None = None,
) -> LogTarget:
    """The try to show: of instance ``map_index`` (required when the task is mapped) of ``task_id`` in ``run``
    (a run id or logical date); ``try_number`` None means the instance's latest try (or its first, when none
    has started). Raises DagNotFound, DagRunNotFound, TaskNotFound or TaskInstanceNotFound, naming the culprit."""
    summary = find_run(session, dag_id, run)
    index = choose_map_index(session, dag_id, summary.run_id, task_id, map_index)
    key = TaskInstanceKey(dag_id, summary.run_id, task_id, index)
    found = queries.instance_try(session, key)
    if found is None:  # choose_map_index saw it in this transaction; only a concurrent delete gets here
        raise TaskInstanceNotFound(f"no instance in run {key.run_id!r}", dag_id=dag_id, task_id=task_id)
    latest = found.try_number
    wanted = max(latest, 1) if try_number is None else try_number
    next_try = latest + 1 if found.state in WAITING or latest == 0 else None
    if wanted < 1 or (wanted > latest and wanted != next_try):
        tried = {0: "no try so far", 1: "1 try so far"}.get(latest, f"{latest} tries so far")
        raise TaskInstanceNotFound(
            f"has no try {wanted} in run {key.run_id!r} ({tried}"
            + (f", the next will be try {next_try})" if found.state in WAITING else ")"),
            dag_id=dag_id,
            task_id=task_id,
            map_index=key.map_index,
        )
    hostname = found.hostname if wanted == latest else None
    if wanted < latest:
        hostname = next((t.hostname for t in queries.ended_tries(session, key) if t.try_number == wanted), None)
    folder = log_folder or get_settings().log_folder
    return LogTarget(key, wanted, latest, found.state, log_path(folder, *key, wanted), hostname)


def refreshed(session: Session, target: LogTarget) -> LogTarget:
    """The same try, with the instance's state and latest try as they are now."""
    now = queries.instance_try(session, target.key)
    if now is None:
        return replace(target, state=None, latest_try=0)
    hostname = now.hostname if now.try_number == target.try_number else target.hostname
    return replace(target, state=now.state, latest_try=now.try_number, hostname=hostname)


def choose_map_index(session: Session, dag_id: str, run_id: str, task_id: str, map_index: int | None) -> int:
    """The map index of the instance meant: ``map_index`` if the run has it; None is right only for a task with
    a single instance (-1). TaskNotFound for an unknown task or a mapped one without an index."""
    found = [index for index, _ in queries.map_indexes(session, dag_id, run_id, task_id)]
    if not found:
        if _task_exists(session, dag_id, task_id) is False:
            raise TaskNotFound("no such task in the DAG", dag_id=dag_id, task_id=task_id)
        raise TaskInstanceNotFound(f"has no instance in run {run_id!r}", dag_id=dag_id, task_id=task_id)
    expanded = [index for index in found if index >= 0]
    if map_index is None:
        if expanded:
            raise TaskNotFound(
                f"is mapped into {len(expanded)} instances in run {run_id!r}: "
                f"choose one with --map-index ({index_spans(expanded)})",
                dag_id=dag_id,
                task_id=task_id,
            )
        return -1
    if map_index not in found:
        has = (
            f"it has {len(expanded)}: {index_spans(expanded)}"
            if expanded
            else "it has only map index -1: it is not mapped, or not expanded yet"
        )
        raise TaskInstanceNotFound(
            f"has no map index {map_index} in run {run_id!r} ({has})", dag_id=dag_id, task_id=task_id
        )
    return map_index


def index_spans(indexes: list[int]) -> str:
    """``0-2, 5`` for map indexes 0, 1, 2 and 5."""
    spans: list[list[int]] = []
    for index in sorted(indexes):
        if spans and spans[-1][1] == index - 1:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def read_log(target: LogTarget) -> str:
    """The log file's text so far (it grows while a long try runs)."""
    return target.path.read_bytes().decode("utf-8", errors="replace")


def follow_log(
    target: LogTarget,
    *,
    sessions: SessionFactory | None = None,
    poll_interval: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """The try's log as it grows, like ``tail -f``: yields whole lines as they are appended, from the start of
    the file, until the instance is no longer running that try (or waiting to start it). A try's file is
    complete before its end is recorded, so what is read after seeing the end is all of it."""
    from dagmap.store import db

    sessions = sessions or db.session_factory()
    offset = 0
    pending = b""
    while True:
        with sessions() as session:
            now = queries.instance_try(session, target.key)
        active = now is not None and (
            (now.try_number == target.try_number and now.state == S.RUNNING)
            or (now.try_number == target.try_number - 1 and now.state in WAITING)
        )
        data = _read_from(target.path, offset)
        offset += len(data)
        pending += data
        cut = pending.rfind(b"\n") + 1
        if cut:
            yield pending[:cut].decode("utf-8", errors="replace")
            pending = pending[cut:]
        if not active:
            if pending:
                yield pending.decode("utf-8", errors="replace")
            return
        sleep(poll_interval)


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read()
    except FileNotFoundError:
        return b""


def _task_exists(session: Session, dag_id: str, task_id: str) -> bool | None:
    """Whether the stored DAG has the task (None: the DAG is not stored)."""
    spec = serialized_dags.load_many(session, [dag_id]).get(dag_id)
    return None if spec is None else task_id in spec.tasks_by_id
