"""Loading DAG files puts their folders on sys.path and their helper packages in sys.modules: undo that."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_import_state() -> Iterator[None]:
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        module = sys.modules[name]
        if name.startswith("dagmap_dagfile_") or "pytest-of" in str(getattr(module, "__file__", "") or ""):
            del sys.modules[name]
