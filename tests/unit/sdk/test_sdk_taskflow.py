"""TaskFlow: @task and its variants, override, multiple_outputs, unique ids, call checks, context injection."""

from __future__ import annotations

from typing import Any

import pytest

from dagmap import DAG, XComArg, task
from dagmap.errors import DagDefinitionError
from dagmap.sdk.runtime import InMemoryXComSource, prepare_task_for_run


def test_calling_a_task_creates_an_operator_and_returns_its_xcom_arg() -> None:
    @task
    def hello(name: str) -> str:
        """Say hello."""
        return f"hello {name}"

    with DAG("d") as dag:
        result = hello("ann")
    assert isinstance(result, XComArg)
    operator = dag.get_task("hello")
    assert operator.operator_name == "@task" and operator.op_args == ["ann"]  # type: ignore[attr-defined]
    assert hello.__doc__ == "Say hello." and hello.__name__ == "hello"
    assert operator.execute({}) == "hello ann"  # type: ignore[attr-defined]


def test_repeated_calls_get_unique_ids_and_override_changes_settings() -> None:
    @task(retries=2)
    def step() -> None:
        return None

    with DAG("d") as dag:
        step()
        step()
        step.override(task_id="custom", retries=5)()
        step.override(task_id="custom")()
    assert dag.task_ids == ["step", "step__1", "custom", "custom__1"]
    assert dag.get_task("step__1").retries == 2 and dag.get_task("custom").retries == 5  # type: ignore[attr-defined]


def test_multiple_outputs_inferred_from_the_return_annotation() -> None:
    @task
    def typed() -> dict[str, int]:
        return {}

    @task
    def plain() -> list[int]:
        return []

    @task(multiple_outputs=False)
    def forced() -> dict[str, int]:
        return {}

    assert typed.multiple_outputs and not plain.multiple_outputs and not forced.multiple_outputs
    assert task.python(typed.function).multiple_outputs


def test_call_must_fit_the_signature() -> None:
    @task
    def two(a: int, b: int) -> int:
        return a + b

    with DAG("d"), pytest.raises(DagDefinitionError, match="missing a required argument: 'b'"):
        two(1)
    with DAG("d"), pytest.raises(DagDefinitionError, match="unexpected keyword argument 'c'"):
        two(1, 2, c=3)

    @task
    def bad_default(ti: Any = 5) -> None:
        return None

    with DAG("d"), pytest.raises(DagDefinitionError, match="context parameter 'ti' may only default to None"):
        bad_default()

    @task
    def mapped_bad_default(x: int, ds: str = "nope") -> None:
        return None

    for mapping in (
        lambda: mapped_bad_default.expand(x=[1, 2]),
        lambda: mapped_bad_default.partial().expand_kwargs([{"x": 1}]),
    ):
        with DAG("d"), pytest.raises(DagDefinitionError, match="context parameter 'ds' may only default to None") as e:
            mapping()
        assert e.value.task_id == "mapped_bad_default" and e.value.argument == "ds"


def test_context_is_injected_by_parameter_name_or_kwargs() -> None:
    @task
    def wants(x: int, ds: str | None = None, ti: Any = None) -> tuple[Any, ...]:
        return (x, ds, ti)

    @task
    def everything(x: int, **context: Any) -> list[str]:
        return sorted(context)

    with DAG("d") as dag:
        wants(1)
        everything(2)
    ctx = {"ds": "2024-01-01", "ti": "TI", "run_id": "r"}
    xcom = InMemoryXComSource()
    assert prepare_task_for_run(dag.get_task("wants"), map_index=-1, xcom=xcom).execute(dict(ctx)) == (
        1, "2024-01-01", "TI",
    )  # fmt: skip
    names = prepare_task_for_run(dag.get_task("everything"), map_index=-1, xcom=xcom).execute(dict(ctx))
    assert {"ds", "ti", "run_id", "templates_dict"} <= set(names) and "x" not in names


def test_branch_short_circuit_and_bash_variants() -> None:
    @task.branch
    def pick() -> str:
        return "x"

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def gate() -> bool:
        return False

    @task.bash
    def command(word: str) -> str:
        return "echo {{ params.greeting }} " + word

    with DAG("d", params={"greeting": "hi"}) as dag:
        pick()
        gate()
        command("there")
    assert dag.get_task("pick").operator_name == "@task.branch"
    gate_op = dag.get_task("gate")
    assert gate_op.operator_name == "@task.short_circuit" and not gate_op.ignore_downstream_trigger_rules  # type: ignore[attr-defined]
    bash = prepare_task_for_run(dag.get_task("command"), map_index=-1, xcom=InMemoryXComSource())
    assert bash.execute({"params": {"greeting": "hi"}}) == "hi there"


def test_bash_decorator_needs_a_command() -> None:
    @task.bash
    def empty() -> str:
        return "  "

    with DAG("d") as dag:
        empty()
    with pytest.raises(TypeError, match="must return a non-empty string"):
        dag.get_task("empty").execute({})  # type: ignore[attr-defined]


def test_unsupported_decorators_say_so() -> None:
    with pytest.raises(AttributeError, match=r"@task\.docker is not available in dagmap"):
        task.docker  # noqa: B018
