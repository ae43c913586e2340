"""Params (validation when a run is created) and the task context helpers."""

from __future__ import annotations

from typing import Any

import pytest

from dagmap import DAG, Param, get_current_context
from dagmap.errors import DagDefinitionError, DagmapError, ParamValidationError
from dagmap.operators import EmptyOperator
from dagmap.sdk.context import inject_context_kwargs, set_current_context
from dagmap.sdk.params import ParamsDict, params_from_spec, resolve_params


def test_resolve_params_defaults_conf_and_validation() -> None:
    params = {"n": Param(3, type="integer", minimum=1), "word": "hi", "mode": Param("a", enum=["a", "b"])}
    assert resolve_params(params, None) == {"n": 3, "word": "hi", "mode": "a"}
    assert resolve_params(params, {"n": 5, "extra": True}) == {"n": 5, "word": "hi", "mode": "a", "extra": True}
    with pytest.raises(ParamValidationError) as info:
        resolve_params(params, {"n": 0})
    assert "param 'n': value 0 is invalid" in str(info.value) and "minimum" in str(info.value)
    assert info.value.argument == "n"
    with pytest.raises(ParamValidationError, match="param 'mode'"):
        resolve_params(params, {"mode": "c"})
    with pytest.raises(ParamValidationError, match="param 'need' has no default value"):
        resolve_params({"need": Param(type="string")}, {})
    assert resolve_params({"need": Param(type="string")}, {"need": "x"}) == {"need": "x"}


def test_task_params_sit_between_dag_params_and_conf() -> None:
    assert resolve_params({"a": 1, "b": 1}, {"b": 3}, task_params={"a": 2, "b": 2}) == {"a": 2, "b": 3}


def test_serialized_params_validate_without_user_code() -> None:
    with DAG("d", params={"n": Param(3, type="integer", description="how many"), "free": Param(type="string")}) as dag:
        EmptyOperator(task_id="e")
    serialized = dag.params.serialize()
    assert serialized["n"] == {
        "value": 3,
        "description": "how many",
        "schema": {"type": "integer"},
        "has_default": True,
    }
    assert serialized["free"]["has_default"] is False
    rebuilt = params_from_spec(serialized)
    assert resolve_params(rebuilt, {"free": "x"}) == {"n": 3, "free": "x"}
    with pytest.raises(ParamValidationError, match="param 'n'"):
        resolve_params(rebuilt, {"n": "three", "free": "x"})


def test_invalid_defaults_fail_dag_validation() -> None:
    with DAG("d", params={"n": Param("x", type="integer")}) as dag:
        EmptyOperator(task_id="e")
    with pytest.raises(DagDefinitionError, match="param 'n'") as info:
        dag.validate()
    assert info.value.dag_id == "d"
    with DAG("d2", params={"obj": object()}) as other:
        EmptyOperator(task_id="e")
    with pytest.raises(DagDefinitionError, match="not JSON-serializable"):
        other.validate()


def test_params_dict_reads_values() -> None:
    params = ParamsDict({"a": Param(1, type="integer")})
    params["a"] = 2
    params["b"] = "x"
    assert dict(params) == {"a": 2, "b": "x"} and params.get_param("a").schema == {"type": "integer"}


def test_current_context() -> None:
    with pytest.raises(DagmapError, match="outside a running task"):
        get_current_context()
    context = {"ds": "x"}
    with set_current_context(context):
        assert get_current_context() is context
    with pytest.raises(DagmapError):
        get_current_context()


def test_inject_context_kwargs() -> None:
    def named(a: int, ds: str, /, *, ti: Any = None) -> None:
        return None

    def keyword(**kwargs: Any) -> None:
        return None

    def positional(x: int, ds: str) -> None:
        return None

    context = {"ds": "D", "ti": "T", "run_id": "R"}
    assert inject_context_kwargs(named, context) == {"ti": "T"}
    assert inject_context_kwargs(keyword, context, op_kwargs={"k": 1}) == {**context, "k": 1}
    assert inject_context_kwargs(positional, context, op_args=[1]) == {"ds": "D"}
    assert inject_context_kwargs(positional, context, op_args=[1, 2]) == {}
