"""One log file per try: ``logs/dag_id=D/run_id=R/task_id=T/map_index=N/attempt=K.log``.

While a try runs, the root logger and the process's stdout/stderr write to that file (secrets masked).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

FORMAT = "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"

task_logger = logging.getLogger("dagmap.task")


def log_path(base: Path, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> Path:
    safe_run_id = run_id.replace("/", "_")
    return (
        base
        / f"dag_id={dag_id}"
        / f"run_id={safe_run_id}"
        / f"task_id={task_id}"
        / f"map_index={map_index}"
        / f"attempt={try_number}.log"
    )


class _MaskingStream(io.TextIOBase):
    """Print statements go through the same secret masking as log records."""

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, text: str) -> int:
        self._target.write(_redact_text(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()


def _redact_text(text: str) -> str:
    try:
        from dagmap.connections.masking import redact
    except ImportError:  # pragma: no cover - the connections package is part of dagmap
        return text
    redacted = redact(text)
    return redacted if isinstance(redacted, str) else text


def _masking_filter() -> logging.Filter | None:
    try:
        from dagmap.connections.masking import SecretsMaskingFilter
    except ImportError:  # pragma: no cover
        return None
    return SecretsMaskingFilter()


@contextlib.contextmanager
def capture_task_log(path: Path, *, echo: TextIO | None = None) -> Iterator[logging.Handler]:
    """Send the root logger, ``print`` and stderr to ``path`` for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter(FORMAT))
        masking = _masking_filter()
        if masking is not None:
            handler.addFilter(masking)
        root = logging.getLogger()
        previous_level = root.level
        saved_handlers = root.handlers[:]
        root.handlers = [handler]
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        masked = _MaskingStream(stream)
        try:
            with contextlib.redirect_stdout(masked), contextlib.redirect_stderr(masked):  # type: ignore[type-var]
                yield handler
        finally:
            root.handlers = saved_handlers
            root.setLevel(previous_level)
            handler.flush()
            if echo is not None:
                sys.stdout.flush()
