"""dagmap: a workflow orchestrator built around dynamic task mapping, with Airflow's authoring API.

``from airflow import DAG`` / ``from airflow.decorators import task`` / ``from airflow.sdk import ...``
become ``from dagmap import ...``. Names load lazily, so server processes never import the SDK by accident.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dagmap.connections import Connection, Variable
    from dagmap.sdk import (
        DAG,
        AirflowException,
        AirflowFailException,
        AirflowSkipException,
        Asset,
        AssetAll,
        AssetAny,
        BaseOperator,
        Context,
        EdgeModifier,
        Label,
        MappedOperator,
        Param,
        ParamsDict,
        TaskGroup,
        TriggerRule,
        XComArg,
        chain,
        chain_linear,
        cross_downstream,
        dag,
        get_current_context,
        resolve_params,
        setup,
        task,
        task_group,
        teardown,
    )
    from dagmap.sensors import BaseSensorOperator, PokeReturnValue

_SDK_NAMES = (
    "DAG",
    "AirflowException",
    "AirflowFailException",
    "AirflowSkipException",
    "Asset",
    "AssetAll",
    "AssetAny",
    "BaseOperator",
    "Context",
    "EdgeModifier",
    "Label",
    "MappedOperator",
    "Param",
    "ParamsDict",
    "TaskGroup",
    "TriggerRule",
    "XComArg",
    "chain",
    "chain_linear",
    "cross_downstream",
    "dag",
    "get_current_context",
    "resolve_params",
    "setup",
    "task",
    "task_group",
    "teardown",
)
_EXPORTS: dict[str, str] = {name: "dagmap.sdk" for name in _SDK_NAMES}
_EXPORTS.update(Variable="dagmap.connections", Connection="dagmap.connections")
_EXPORTS.update(BaseSensorOperator="dagmap.sensors", PokeReturnValue="dagmap.sensors")  # airflow.sdk has both

__all__ = [
    "DAG",
    "AirflowException",
    "AirflowFailException",
    "AirflowSkipException",
    "Asset",
    "AssetAll",
    "AssetAny",
    "BaseOperator",
    "BaseSensorOperator",
    "Connection",
    "Context",
    "EdgeModifier",
    "Label",
    "MappedOperator",
    "Param",
    "ParamsDict",
    "PokeReturnValue",
    "TaskGroup",
    "TriggerRule",
    "Variable",
    "XComArg",
    "chain",
    "chain_linear",
    "cross_downstream",
    "dag",
    "get_current_context",
    "resolve_params",
    "setup",
    "task",
    "task_group",
    "teardown",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dagmap' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
