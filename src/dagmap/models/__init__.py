"""``airflow.models`` for DAG files: the authoring names only (``from airflow.models import DAG`` -> here).

Not :mod:`dagmap.model` (the frozen specs the scheduler reads). Thin re-exports of :mod:`dagmap.sdk`;
Airflow's database models (``DagRun``, ``TaskInstance``, ``XCom``, ...) are not part of the authoring API.
"""

from __future__ import annotations

import importlib
from typing import Any

from dagmap.sdk import DAG, BaseOperator, MappedOperator, Param, XComArg

__all__ = ["DAG", "BaseOperator", "Connection", "MappedOperator", "Param", "Variable", "XComArg"]


def __getattr__(name: str) -> Any:
    if name in ("Variable", "Connection"):
        return getattr(importlib.import_module("dagmap.connections"), name)
    raise AttributeError(
        f"module 'dagmap.models' has no attribute {name!r}: it holds Airflow's authoring names "
        f"({', '.join(__all__)}); Airflow's database models have no place in a dagmap DAG file"
    )
