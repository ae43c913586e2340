"""The authoring SDK: DAGs, operators, TaskFlow, task groups, dynamic task mapping; no server-side imports.

``Variable`` and ``Connection`` load lazily from :mod:`dagmap.connections` on first use.
"""

from __future__ import annotations

from typing import Any

from dagmap.errors import AirflowException, AirflowFailException, AirflowSkipException
from dagmap.sdk.abstractoperator import AbstractOperator
from dagmap.sdk.assets import Asset, AssetAll, AssetAny
from dagmap.sdk.baseoperator import BaseOperator
from dagmap.sdk.context import Context, get_current_context
from dagmap.sdk.dag import DAG
from dagmap.sdk.dag_decorator import dag
from dagmap.sdk.dependencies import EdgeModifier, Label, chain, chain_linear, cross_downstream
from dagmap.sdk.expand_input import DictOfListsExpandInput, ListOfDictsExpandInput
from dagmap.sdk.mapped_operator import MappedOperator, OperatorPartial
from dagmap.sdk.params import Param, ParamsDict, resolve_params
from dagmap.sdk.setup_teardown import setup, teardown
from dagmap.sdk.task_group import MappedTaskGroup, TaskGroup
from dagmap.sdk.task_group_decorator import MappedArgument, task_group
from dagmap.sdk.xcom_arg import ConcatXComArg, MapXComArg, PlainXComArg, XComArg, ZipXComArg
from dagmap.trigger_rule import TriggerRule

from dagmap.sdk.decorators import task  # isort: skip  (after BaseOperator: it loads dagmap.operators lazily)

__all__ = [
    "DAG",
    "AbstractOperator",
    "AirflowException",
    "AirflowFailException",
    "AirflowSkipException",
    "Asset",
    "AssetAll",
    "AssetAny",
    "BaseOperator",
    "ConcatXComArg",
    "Connection",
    "Context",
    "DictOfListsExpandInput",
    "EdgeModifier",
    "Label",
    "ListOfDictsExpandInput",
    "MapXComArg",
    "MappedArgument",
    "MappedOperator",
    "MappedTaskGroup",
    "OperatorPartial",
    "Param",
    "ParamsDict",
    "PlainXComArg",
    "TaskGroup",
    "TriggerRule",
    "Variable",
    "XComArg",
    "ZipXComArg",
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
    if name in ("Variable", "Connection"):
        import importlib

        return getattr(importlib.import_module("dagmap.connections"), name)
    raise AttributeError(f"module 'dagmap.sdk' has no attribute {name!r}")
