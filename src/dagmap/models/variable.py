"""``airflow.models.variable``: ``Variable.get`` / ``Variable.set`` (loaded on first use, like ``dagmap.Variable``)."""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "Variable":
        return importlib.import_module("dagmap.connections").Variable
    raise AttributeError(f"module 'dagmap.models.variable' has no attribute {name!r}")
