"""``airflow.models.connection``: ``Connection.get`` (loaded on first use, like ``dagmap.Connection``)."""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "Connection":
        return importlib.import_module("dagmap.connections").Connection
    raise AttributeError(f"module 'dagmap.models.connection' has no attribute {name!r}")
