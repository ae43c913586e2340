"""One log file per try: ``logs/dag_id=D/run_id=R/task_id=T/map_index=N/attempt=K.log``.

While a try runs, the root logger and the process's stdout/stderr write to that file, secrets masked.
Thousands of short mapped tries must stay cheap, so: one handler per process is re-pointed at each try; a
try's output is spooled in memory and written by a background thread when the try ends, unless the try
runs longer than ``SPOOL_SECONDS`` — then its file is opened and written live (to be followed while it runs).
:func:`drain` waits for the background writes (the runner calls it before recording that tries ended).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

FORMAT = "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"

task_logger = logging.getLogger("dagmap.task")


def log_path(base: Path, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> Path:
    return Path(log_path_text(str(base), dag_id, run_id, task_id, map_index, try_number))


def log_path_text(base: str, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
    safe_run_id = run_id.replace("/", "_")
    return (
        f"{base}/dag_id={dag_id}/run_id={safe_run_id}/task_id={task_id}/map_index={map_index}/attempt={try_number}.log"
    )


def _redact_text(text: str) -> str:
    from dagmap.connections.masking import redact

    redacted = redact(text)
    return redacted if isinstance(redacted, str) else text


class _MaskingStream(io.TextIOBase):
    """Print statements go through the same secret masking as log records."""

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, text: str) -> int:
        self._target.write(_redact_text(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()


SPOOL_SECONDS = 1.0


class _Writer:
    """A background thread writing finished tries' spooled logs (file system calls overlap the next try)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._work, name="dagmap-task-logs", daemon=True)
        self._thread.start()

    def submit(self, path: str, text: str) -> None:
        self._queue.put((path, text))

    def drain(self) -> None:
        self._queue.join()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is not None:
                    _write(*item)
            except OSError as error:  # a log that cannot be written must not take the worker down
                logging.getLogger(__name__).warning("could not write task log %s: %s", item[0] if item else "", error)
            finally:
                self._queue.task_done()


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


_writer: _Writer | None = None


def _the_writer() -> _Writer:
    global _writer
    if _writer is None or _writer._pid != os.getpid():  # a forked child needs a thread of its own
        _writer = _Writer()
    return _writer


def drain() -> None:
    """Wait until every finished try's log is on disk."""
    if _writer is not None and _writer._pid == os.getpid():
        _writer.drain()


class _SpoolingLog(io.TextIOBase):
    """Collects a try's log in memory; switches to the real file once the try runs long."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._parts: list[str] = []
        self._file: TextIO | None = None
        self._deadline = time.monotonic() + SPOOL_SECONDS

    def write(self, text: str) -> int:
        if self._file is not None:
            self._file.write(text)
        else:
            self._parts.append(text)
            if time.monotonic() > self._deadline:
                os.makedirs(os.path.dirname(self._path), exist_ok=True)
                # Line-buffered: ``tasks logs --follow`` sees each printed line as it is written.
                self._file = open(self._path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed in finish()
                self._file.write("".join(self._parts))
                self._parts.clear()
        return len(text)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def finish(self) -> None:
        if self._file is not None:
            self._file.close()
        else:
            _the_writer().submit(self._path, "".join(self._parts))


class _TryHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The process's task log handler; ``stream`` is the current try's file."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.setFormatter(logging.Formatter(FORMAT))
        from dagmap.connections.masking import SecretsMaskingFilter

        self.addFilter(SecretsMaskingFilter())


_handler: _TryHandler | None = None


def _the_handler() -> _TryHandler:
    global _handler
    if _handler is None:
        _handler = _TryHandler()
    return _handler


@contextlib.contextmanager
def capture_task_log(path: Path | str) -> Iterator[logging.Handler]:
    """Send the root logger, ``print`` and stderr to ``path`` for the duration of the block."""
    stream = _SpoolingLog(str(path))
    handler = _the_handler()
    handler.setStream(stream)  # type: ignore[arg-type]
    root = logging.getLogger()
    saved_handlers = root.handlers
    root.handlers = [handler]
    if root.level > logging.INFO or root.level == logging.NOTSET:
        # Once per process, not per try: changing a level invalidates every logger's cache.
        root.setLevel(logging.INFO)
    masked = _MaskingStream(stream)  # type: ignore[arg-type]
    try:
        with contextlib.redirect_stdout(masked), contextlib.redirect_stderr(masked):  # type: ignore[type-var]
            yield handler
    finally:
        root.handlers = saved_handlers
        handler.setStream(io.StringIO())
        stream.finish()
