"""Fixtures of the API tests: ``api``, a real ``dagmap api-server`` per session and database (see api_harness.py)."""

from __future__ import annotations

from api_harness import api

__all__ = ["api"]
