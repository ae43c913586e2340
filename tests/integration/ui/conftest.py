"""Fixtures of the UI's browser tests (see ui_harness.py)."""

from __future__ import annotations

from ui_harness import browser, page, site

__all__ = ["browser", "page", "site"]
