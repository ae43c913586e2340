"""The DAG file processor: lists the DAGs folder, parses every new or changed file in a child process of its
own with a time limit, and stores the results (serialized DAGs, ``dag`` rows, import errors). It also runs
the DAG callbacks the scheduler requested (``callback_runner``).

User code runs only in the children: a file that hangs, exits or crashes its process becomes an import
error for that file and never stops the caller. ``poll()`` never waits for a child, so the scheduler
service calls it in its loop; ``dagmap dag-processor`` runs it alone.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from dagmap.config import get_settings
from dagmap.dag_processing.callback_runner import CallbackRunner
from dagmap.dag_processing.ignore import iter_dag_files
from dagmap.dag_processing.parse_child import ParsedFile, bootstrap_bytes, child_main
from dagmap.dag_processing.storing import forget_missing_files, store_parsed_files

log = logging.getLogger(__name__)
PRELOAD = ("dagmap.dag_processing.parse_child",)
"""Modules the fork server imports once, so that a parse child starts in milliseconds."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class _Parse:
    filename: str
    mtime: float
    process: BaseProcess
    conn: Connection
    deadline: float


class DagFileProcessor:
    """Keeps the database's serialized DAGs in step with the files of ``dags_folder``.

    Files are listed every ``list_interval`` seconds (``scheduler.dag_dir_list_interval``); a file is parsed
    when its modification time changed since it was last stored. At most ``processes`` children parse at
    once, each for at most ``timeout`` seconds (``core.dag_file_processor_timeout``). DAGs seen for the
    first time are paused when their ``is_paused_upon_creation`` says so, else as ``new_dags_paused`` says.
    """

    def __init__(
        self,
        dags_folder: Path | None = None,
        *,
        url: str | None = None,
        timeout: float | None = None,
        list_interval: float | None = None,
        processes: int = 2,
        new_dags_paused: bool = False,
        start_method: str = "forkserver",
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        settings = get_settings()
        self.dags_folder = Path(dags_folder or settings.dags_folder).expanduser().resolve()
        self.url = url or settings.sql_alchemy_conn
        self.timeout = timeout if timeout is not None else settings.core.dag_file_processor_timeout
        self.list_interval = list_interval if list_interval is not None else settings.scheduler.dag_dir_list_interval
        self.processes = max(1, processes)
        self.new_dags_paused = new_dags_paused
        self._context: Any = multiprocessing.get_context(start_method)
        self._clock = clock
        self._stored: dict[str, float] = {}
        """File -> modification time of the version whose results are stored."""
        self._queue: deque[tuple[str, float]] = deque()
        self._running: dict[str, _Parse] = {}
        self._done: list[ParsedFile] = []
        self._done_mtimes: dict[str, float] = {}
        self._present: set[str] = set()
        self._listed_at: float | None = None
        self._bootstrap = b""
        self.callbacks = CallbackRunner(
            self.url,
            context=self._context,
            timeout=self.timeout,
            processes=self.processes,
            log_folder=settings.log_folder,
            bootstrap=self._bootstrap_bytes,
        )

    # --- the DagProcessing protocol ----------------------------------------------------------------------
    def poll(self) -> int:
        """List the folder when due, start parses, collect finished ones and store them; run requested DAG
        callbacks. Returns files stored plus callbacks finished."""
        now = time.monotonic()
        if self._listed_at is None or now - self._listed_at >= self.list_interval:
            self._list()
            self._listed_at = now
        self._start_parses()
        self._collect()
        stored = self._store()
        return stored + self.callbacks.poll()

    def close(self) -> None:
        """Kill running children and forget queued files."""
        for parse in self._running.values():
            self._kill(parse)
        self._running.clear()
        self._queue.clear()
        self.callbacks.close()

    def run_once(self, *, deadline: float | None = None) -> int:
        """List now and parse every new or changed file to the end, and run the pending DAG callbacks (blocking;
        for tests and ``--once``)."""
        self._listed_at = None
        stored = self.poll() + self.callbacks.poll(claim_now=True)
        limit = time.monotonic() + (deadline if deadline is not None else self.timeout * 2 + 30)
        while self.busy and time.monotonic() < limit:
            time.sleep(0.01)
            stored += self.poll()
        return stored

    @property
    def busy(self) -> bool:
        return bool(self._queue or self._running or self._done or self.callbacks.busy)

    # --- steps -------------------------------------------------------------------------------------------
    def _list(self) -> None:
        present: dict[str, float] = {}
        for path in iter_dag_files(self.dags_folder):
            try:
                present[str(path)] = path.stat().st_mtime
            except OSError:  # deleted while listing
                continue
        waiting = {name for name, _ in self._queue} | set(self._running)
        for name, mtime in present.items():
            if self._stored.get(name) != mtime and name not in waiting:
                self._queue.append((name, mtime))
        gone = set(self._stored) - set(present)
        for name in gone:
            del self._stored[name]
        self._present = set(present)
        forget_missing_files(self.url, self._present, self._clock())
        if gone:
            log.info("DAG files gone: %s", ", ".join(sorted(gone)))

    def _bootstrap_bytes(self) -> bytes:
        if not self._bootstrap:
            self._bootstrap = bootstrap_bytes()
        return self._bootstrap

    def _start_parses(self) -> None:
        if self._queue:
            self._bootstrap_bytes()
        while self._queue and len(self._running) < self.processes:
            name, mtime = self._queue.popleft()
            parent_end, child_end = self._context.Pipe(duplex=False)
            process = self._context.Process(
                target=child_main,
                args=(name, child_end, self._bootstrap),
                name="dagmap-dag-file-processor",
                daemon=True,
            )
            process.start()
            child_end.close()
            self._running[name] = _Parse(name, mtime, process, parent_end, time.monotonic() + self.timeout)

    def _collect(self) -> None:
        now = time.monotonic()
        for name, parse in list(self._running.items()):
            parsed = self._receive(parse)
            if parsed is None and parse.process.exitcode is not None:
                parsed = self._receive(parse)  # a result sent just before the exit still counts
                if parsed is None:
                    parsed = ParsedFile(name, errors={name: f"{name}: {self._death(parse)} while parsing this file"})
            if parsed is None and now >= parse.deadline:
                message = f"{name}: parsing took longer than {self.timeout:g}s (core.dag_file_processor_timeout)"
                parsed = ParsedFile(name, errors={name: message})
            if parsed is None:
                continue
            del self._running[name]
            self._kill(parse)
            self._done.append(parsed)
            self._done_mtimes[name] = parse.mtime

    def _store(self) -> int:
        if not self._done:
            return 0
        done, self._done = self._done, []
        try:
            store_parsed_files(
                self.url, done, present=self._present, new_dags_paused=self.new_dags_paused, now=self._clock()
            )
        except Exception:
            self._done = done + self._done  # stored next time (the caller logs and backs off)
            raise
        for parsed in done:
            self._stored[parsed.filename] = self._done_mtimes.pop(parsed.filename)
            for filename, error in parsed.errors.items():
                log.warning("import error in %s: %s", filename, error.splitlines()[0] if error else "")
        return len(done)

    # --- children ----------------------------------------------------------------------------------------
    @staticmethod
    def _receive(parse: _Parse) -> ParsedFile | None:
        try:
            if parse.conn.poll():
                value = parse.conn.recv()
                return value if isinstance(value, ParsedFile) else None
        except (EOFError, OSError):
            return None
        return None

    @staticmethod
    def _death(parse: _Parse) -> str:
        code = parse.process.exitcode
        if code is not None and code < 0:
            try:
                return f"the DAG file processor was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"the DAG file processor was killed by signal {-code}"
        return f"the DAG file processor exited with code {code}"

    @staticmethod
    def _kill(parse: _Parse) -> None:
        if parse.process.is_alive():
            parse.process.join(0.05)
        if parse.process.is_alive():
            parse.process.kill()
            parse.process.join(5)
        parse.conn.close()
        parse.process.close()
