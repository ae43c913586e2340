"""Airflow's module layout: every path a DAG file imports from maps to the same dagmap object."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest

import dagmap
from dagmap import errors
from dagmap.providers.base import BaseHook
from dagmap.sdk import dependencies
from dagmap.sdk.task_group import MappedTaskGroup
from dagmap.utils.dates import days_ago

SAME_OBJECT = [
    ("dagmap.models", "DAG", dagmap.DAG),
    ("dagmap.models", "BaseOperator", dagmap.BaseOperator),
    ("dagmap.models", "MappedOperator", dagmap.MappedOperator),
    ("dagmap.models", "Param", dagmap.Param),
    ("dagmap.models", "XComArg", dagmap.XComArg),
    ("dagmap.models.dag", "DAG", dagmap.DAG),
    ("dagmap.models.baseoperator", "BaseOperator", dagmap.BaseOperator),
    ("dagmap.models.baseoperator", "chain", dagmap.chain),
    ("dagmap.models.baseoperator", "chain_linear", dagmap.chain_linear),
    ("dagmap.models.baseoperator", "cross_downstream", dagmap.cross_downstream),
    ("dagmap.models.mappedoperator", "MappedOperator", dagmap.MappedOperator),
    ("dagmap.models.param", "Param", dagmap.Param),
    ("dagmap.models.param", "ParamsDict", dagmap.ParamsDict),
    ("dagmap.models.xcom_arg", "XComArg", dagmap.XComArg),
    ("dagmap.utils.trigger_rule", "TriggerRule", dagmap.TriggerRule),
    ("dagmap.utils.edgemodifier", "Label", dagmap.Label),
    ("dagmap.utils.edgemodifier", "EdgeModifier", dependencies.EdgeModifier),
    ("dagmap.utils.task_group", "TaskGroup", dagmap.TaskGroup),
    ("dagmap.utils.task_group", "MappedTaskGroup", MappedTaskGroup),
    ("dagmap.utils.helpers", "chain", dagmap.chain),
    ("dagmap.utils.helpers", "cross_downstream", dagmap.cross_downstream),
    ("dagmap.utils.context", "Context", dagmap.Context),
    ("dagmap.utils.context", "get_current_context", dagmap.get_current_context),
    ("dagmap.operators.python", "get_current_context", dagmap.get_current_context),
    ("dagmap.exceptions", "AirflowException", errors.DagmapError),
    ("dagmap.exceptions", "AirflowSkipException", errors.TaskSkipped),
    ("dagmap.exceptions", "AirflowFailException", errors.TaskFailedNoRetry),
    ("dagmap.exceptions", "AirflowTaskTimeout", errors.TaskTimeoutError),
    ("dagmap.exceptions", "DuplicateTaskIdFound", errors.DuplicateTaskIdError),
    ("dagmap.exceptions", "ParamValidationError", errors.ParamValidationError),
    ("dagmap.exceptions", "AirflowSensorTimeout", errors.SensorTimeout),
    ("dagmap.hooks.base", "BaseHook", BaseHook),
]


@pytest.mark.parametrize(("module", "name", "expected"), SAME_OBJECT, ids=[f"{m}.{n}" for m, n, _ in SAME_OBJECT])
def test_airflow_import_path_gives_the_dagmap_object(module: str, name: str, expected: object) -> None:
    assert getattr(importlib.import_module(module), name) is expected


def test_variable_and_connection_load_lazily_from_every_path() -> None:
    from dagmap.connections import Connection, Variable
    from dagmap.models import Connection as ModelsConnection
    from dagmap.models import Variable as ModelsVariable
    from dagmap.models.connection import Connection as ConnectionModule
    from dagmap.models.variable import Variable as VariableModule

    assert ModelsVariable is VariableModule is Variable
    assert ModelsConnection is ConnectionModule is Connection


def test_airflow_database_models_are_refused_with_a_reason() -> None:
    models = importlib.import_module("dagmap.models")
    with pytest.raises(AttributeError, match=r"'TaskInstance'.*authoring names"):
        models.TaskInstance  # noqa: B018


def test_days_ago_is_midnight_utc_n_days_back() -> None:
    value = days_ago(2)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert value.tzinfo is UTC
    assert value in (today - timedelta(days=2), today - timedelta(days=1))  # midnight may pass in between
    assert days_ago(0, hour=6).hour == 6


def test_airflow_sdk_sensor_names_come_from_dagmap() -> None:
    from dagmap import BaseSensorOperator, PokeReturnValue
    from dagmap.sensors.base import BaseSensorOperator as Base
    from dagmap.sensors.base import PokeReturnValue as Value

    assert (BaseSensorOperator, PokeReturnValue) == (Base, Value)
