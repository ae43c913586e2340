"""Per-try log capture: short tries are spooled and written at their end; a long try's file is written live,
a line at a time, so that ``tasks logs --follow`` sees what the task prints while it runs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dagmap.runner import logs


def test_a_short_try_writes_its_log_once_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "attempt=1.log"
    with logs.capture_task_log(path):
        print("hello from the task")
        assert not path.exists()
    logs.drain()
    assert path.read_text() == "hello from the task\n"


def test_a_long_try_writes_every_printed_line_as_it_comes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "SPOOL_SECONDS", 0.0)  # the try is "long" from its first write on
    path = tmp_path / "attempt=1.log"
    with logs.capture_task_log(path):
        print("first")
        print("second")
        assert path.read_text() == "first\nsecond\n"
        logging.getLogger("task").info("a log record")
        assert path.read_text().splitlines()[-1].endswith("a log record")
    assert path.read_text().startswith("first\nsecond\n")
