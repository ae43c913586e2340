"""Running DAG callback requests for the DAG file processor: claim pending requests, call each in a child
process of its own (time-limited, output to a callback log file), and record how it ended, exactly once.

A callback that raises, hangs, exits or crashes its process marks its request failed; it never stops the
processor and never changes the run.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from dagmap.dag_processing.callbacks import callback_log_path, run_dag_callbacks
from dagmap.store import db
from dagmap.store.queries import callbacks
from dagmap.store.queries.callbacks import DagCallbackRequest

log = logging.getLogger(__name__)
CLAIM_INTERVAL = 1.0
"""Seconds between two looks for pending requests (one indexed query)."""
ABANDONED_CHECK_INTERVAL = 60.0


@dataclass(eq=False)
class _Call:
    request: DagCallbackRequest
    process: BaseProcess
    conn: Connection
    deadline: float
    log_file: Path


class CallbackRunner:
    """Claims and runs DAG callback requests, at most ``processes`` at once, each for at most ``timeout`` s."""

    def __init__(
        self, url: str, *, context: Any, timeout: float, processes: int, log_folder: Path, bootstrap: Any
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.processes = max(1, processes)
        self.log_folder = log_folder
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._context = context
        self._bootstrap = bootstrap
        """A function returning the bytes that set up a child (environment, import path, directory)."""
        self._running: dict[int, _Call] = {}
        self._finished: list[tuple[int, str | None]] = []
        self._claimed_at: float | None = None
        self._checked_at: float | None = None

    @property
    def busy(self) -> bool:
        return bool(self._running or self._finished)

    def poll(self, *, claim_now: bool = False) -> int:
        """Start calls for pending requests, collect ended ones and record them. Returns requests finished."""
        now = time.monotonic()
        if self._checked_at is None or now - self._checked_at >= ABANDONED_CHECK_INTERVAL:
            self._fail_abandoned()
            self._checked_at = now
        if len(self._running) < self.processes and (
            claim_now or self._claimed_at is None or now - self._claimed_at >= CLAIM_INTERVAL
        ):
            self._claimed_at = now
            self._start(self._claim(self.processes - len(self._running)))
        self._collect()
        return self._record()

    def close(self) -> None:
        """Kill running calls and mark their requests failed (never rerun: a callback may have had its effect).
        When the database cannot be reached, they are failed as abandoned later."""
        for request_id, call in self._running.items():
            _kill(call)
            _append(call.log_file, "callback failed: the DAG processor stopped while it ran")
            self._finished.append((request_id, "the DAG processor stopped while the callback ran"))
        self._running.clear()
        try:
            self._record()
        except Exception:
            log.exception("cannot record the DAG callbacks stopped with the DAG processor")

    def _fail_abandoned(self) -> None:
        cutoff = datetime.now(UTC) - timedelta(seconds=self.timeout * 2 + 60)
        with db.session_factory(self.url).begin() as session:
            count = callbacks.fail_abandoned(session, claimed_before=cutoff)
        if count:
            log.warning("%d DAG callback(s) claimed by a stopped DAG processor marked failed", count)

    def _claim(self, limit: int) -> list[DagCallbackRequest]:
        with db.session_factory(self.url).begin() as session:
            return callbacks.claim(session, limit=limit, claimed_by=self.name)

    def _start(self, requests: list[DagCallbackRequest]) -> None:
        for request in requests:
            log_file = callback_log_path(self.log_folder, request.dag_id, request.run_id)
            try:
                log_file.parent.mkdir(parents=True, exist_ok=True)
                parent_end, child_end = self._context.Pipe(duplex=False)
                process = self._context.Process(
                    target=callback_child_main,
                    args=(request, self.url, str(log_file), child_end, self._bootstrap()),
                    name="dagmap-dag-callback",
                    daemon=True,
                )
                process.start()
            except Exception as error:  # e.g. the log folder is not writable: the request fails, we go on
                log.exception("cannot start the callback of run %s of %s", request.run_id, request.dag_id)
                self._finished.append((request.id, f"cannot start the callback process: {error}"))
                continue
            child_end.close()
            kind = "failure" if request.is_failure else "success"
            log.info(
                "running the %s callback of %s for run %s (log: %s)", kind, request.dag_id, request.run_id, log_file
            )
            self._running[request.id] = _Call(request, process, parent_end, time.monotonic() + self.timeout, log_file)

    def _collect(self) -> None:
        now = time.monotonic()
        for request_id, call in list(self._running.items()):
            done, error = _receive(call)
            if not done and call.process.exitcode is not None:
                done, error = _receive(call)  # a result sent just before the exit still counts
                if not done:
                    done, error = True, f"{_death(call)} while running the callback"
            if not done and now >= call.deadline:
                done, error = True, f"the callback took longer than {self.timeout:g}s (core.dag_file_processor_timeout)"
            if not done:
                continue
            del self._running[request_id]
            _kill(call)
            if error:
                _append(call.log_file, f"callback failed: {error}")
                log.warning("callback of %s for run %s failed: %s", call.request.dag_id, call.request.run_id, error)
            self._finished.append((request_id, error))

    def _record(self) -> int:
        if not self._finished:
            return 0
        finished, self._finished = self._finished, []
        try:
            with db.session_factory(self.url).begin() as session:
                for request_id, error in finished:
                    callbacks.finish(session, request_id, error=error)
        except Exception:
            self._finished = finished + self._finished  # recorded next time (the caller logs and backs off)
            raise
        return len(finished)


def callback_child_main(
    request: DagCallbackRequest, url: str, log_file: str, conn: Connection, bootstrap: bytes
) -> None:
    """Entry point of a callback child: output and logs go to ``log_file``; one message goes back."""
    environ, path, cwd = pickle.loads(bootstrap)
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    os.chdir(cwd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the processor, which stops its children
    from dagmap.config import reset_settings

    reset_settings()
    error: str | None
    try:
        with open(log_file, "a", buffering=1) as stream:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(stream.fileno(), 1)
            os.dup2(stream.fileno(), 2)
            sys.stdout = sys.stderr = stream
            handler = logging.StreamHandler(stream)
            handler.setFormatter(logging.Formatter("[%(asctime)s] {%(name)s} %(levelname)s - %(message)s"))
            root = logging.getLogger()
            root.handlers[:] = [handler]
            root.setLevel(logging.INFO)
            error = _call(request, url)
    except BaseException as failure:  # nothing the callback does may escape without a report
        error = "the callback process failed: " + "".join(traceback.format_exception(failure, limit=20))
    try:
        conn.send(("done", error))
    finally:
        conn.close()


def _call(request: DagCallbackRequest, url: str) -> str | None:
    from dagmap.dag_processing.loader import load_dag_file

    result = load_dag_file(request.fileloc)
    dag = next((d for d in result.dags if d.dag_id == request.dag_id), None)
    if dag is None:
        errors = "\n".join(e.error for e in result.import_errors)
        message = f"DAG {request.dag_id!r} not found in {request.fileloc}"
        log.error("%s%s", message, f":\n{errors}" if errors else "")
        return message
    return run_dag_callbacks(
        dag,
        run_id=request.run_id,
        is_failure=request.is_failure,
        reason=request.reason,
        sessions=db.session_factory(url),
    )


def _receive(call: _Call) -> tuple[bool, str | None]:
    try:
        if call.conn.poll():
            value = call.conn.recv()
            if isinstance(value, tuple) and len(value) == 2 and value[0] == "done":
                return True, value[1]
    except (EOFError, OSError):
        return False, None
    return False, None


def _death(call: _Call) -> str:
    code = call.process.exitcode
    if code is not None and code < 0:
        try:
            return f"the callback process was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"the callback process was killed by signal {-code}"
    return f"the callback process exited with code {code}"


def _kill(call: _Call) -> None:
    if call.process.is_alive():
        call.process.join(0.05)
    if call.process.is_alive():
        call.process.kill()
        call.process.join(5)
    call.conn.close()
    call.process.close()


def _append(path: Path, line: str) -> None:
    try:
        with open(path, "a") as stream:
            stream.write(f"[{datetime.now(UTC).isoformat()}] {line}\n")
    except OSError:
        pass
