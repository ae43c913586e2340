"""Fault tests run the real ``dagmap scheduler`` and break things for real (kill -9, SIGSTOP, a database
cut off); the process and database helpers live with the scheduler service tests."""

from __future__ import annotations

import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "scheduler_service"
if str(HARNESS) not in sys.path:
    sys.path.insert(0, str(HARNESS))

from service_harness import postgres_url, services, sqlite_url  # noqa: E402  (after the path is set)

__all__ = ["postgres_url", "services", "sqlite_url"]
