"""Every parse-time mapping error: raised with a clear message naming the DAG, task and argument."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from dagmap import DAG, task, task_group
from dagmap.errors import DagDefinitionError, MappingDefinitionError
from dagmap.operators import BashOperator, EmptyOperator, PythonOperator


def make_dag(dag_id: str = "d") -> DAG:
    return DAG(dag_id, start_date=datetime(2024, 1, 1), schedule=None)


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def produce() -> list[int]:
    return [1]


def check(error: DagDefinitionError, *fragments: str, task_id: str | None = None, argument: str | None = None) -> None:
    text = str(error)
    for fragment in fragments:
        assert fragment in text, text
    assert error.dag_id == "d"
    assert error.filename == __file__
    if task_id is not None:
        assert error.task_id == task_id
    if argument is not None:
        assert error.argument == argument


def test_expand_without_arguments() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        add.expand()
    check(info.value, "expand() needs at least one argument", task_id="add")
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        BashOperator.partial(task_id="b").expand()
    check(info.value, "expand() needs at least one argument", task_id="b")


def test_expand_takes_keywords_only() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError, match="keyword arguments only"):
        add.partial(y=1).expand([1, 2])


@pytest.mark.parametrize("value", ["abc", b"abc", {1, 2}, 3, 2.5, True])
def test_expanding_a_non_iterable_literal(value: Any) -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        add.partial(y=1).expand(x=value)
    check(info.value, f"cannot map over a {type(value).__name__}", task_id="add", argument="x")
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        BashOperator.partial(task_id="b").expand(bash_command=value)
    check(info.value, "cannot map over", task_id="b", argument="bash_command")


def test_unknown_argument_names() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        add.partial(y=1).expand(z=[1])
    check(info.value, "cannot map over 'z'", "add() has no such parameter", task_id="add", argument="z")
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        BashOperator.partial(task_id="b").expand(command=["x"])
    check(info.value, "BashOperator has no such argument", task_id="b", argument="command")
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        BashOperator.partial(task_id="b", comand="x")
    check(info.value, "unknown argument 'comand'", task_id="b", argument="comand")


def test_a_function_with_var_keyword_accepts_any_name() -> None:
    @task
    def anything(**kwargs: Any) -> None:
        return None

    with make_dag() as dag:
        anything.expand(whatever=[1, 2])
    assert dag.has_task("anything")


def test_same_argument_in_partial_and_expand_is_refused_everywhere() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        add.partial(x=1).expand(x=[1, 2])
    check(info.value, "given to both partial() and expand()", task_id="add", argument="x")
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        BashOperator.partial(task_id="b", bash_command="x").expand(bash_command=["y"])
    check(info.value, "given to both partial() and expand()", argument="bash_command")

    @task_group
    def group(a: int, b: int) -> None:
        add(a, b)

    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        group.partial(a=1).expand(a=[1], b=[2])
    check(info.value, "given to both partial() and expand()", argument="a")


@pytest.mark.parametrize(
    "name",
    ["task_id", "retries", "retry_delay", "queue", "pool", "pool_slots", "trigger_rule", "priority_weight",
     "execution_timeout", "max_active_tis_per_dag", "max_active_tis_per_dagrun", "map_index_template", "owner",
     "on_failure_callback", "on_success_callback", "depends_on_past"],
)  # fmt: skip
def test_non_mappable_operator_arguments(name: str) -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        BashOperator.partial(task_id="b").expand(bash_command=["x"], **{name: [1, 2]})
    check(info.value, f"{name!r} cannot be mapped", "pass it to partial()", argument=name)


def test_params_and_do_xcom_push_are_mappable() -> None:
    with make_dag() as dag:
        BashOperator.partial(task_id="b", bash_command="x").expand(params=[{"a": 1}], do_xcom_push=[True, False])
    assert dag.get_task("b").is_mapped


@pytest.mark.parametrize("name", ["ds", "ti", "params", "logical_date"])
def test_mapping_a_context_key(name: str) -> None:
    @task
    def uses_context(x: int, **context: Any) -> None:
        return None

    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        uses_context.partial(x=1).expand(**{name: [1]})
    check(info.value, f"cannot map over {name!r}", "context variable", argument=name)


def test_expanding_a_custom_xcom_key() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        add.partial(y=1).expand(x=produce()["other"])
    check(info.value, "output['other']", "only a task's return value can be expanded", argument="x")
    with make_dag(), pytest.raises(MappingDefinitionError, match="only a task's return value"):
        add.partial(y=1).expand(x=produce()["other"].map(str))
    with make_dag(), pytest.raises(MappingDefinitionError, match="only a task's return value"):
        add.expand_kwargs(produce()["other"])


def test_custom_xcom_key_may_feed_partial() -> None:
    with make_dag() as dag:
        add.partial(y=produce()["other"]).expand(x=[1])
    assert dag.get_task("add").upstream_task_ids == {"produce"}


def test_required_arguments_missing_from_partial_and_expand() -> None:
    @task
    def three(a: int, b: int, c: int = 0) -> int:
        return a + b + c

    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        three.expand(a=[1])
    check(info.value, "three() needs 'b'", "neither to partial() nor to expand()", argument="b")
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        three.expand_kwargs([{"a": 1, "b": 2}, {"a": 1}])
    check(info.value, "needs 'b'", "expand_kwargs() item 1", argument="b")
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        PythonOperator.partial(task_id="p").expand(op_args=[[1]])
    check(info.value, "PythonOperator needs 'python_callable'", argument="python_callable")


def test_required_operator_arguments_may_come_from_default_args() -> None:
    with DAG("d", schedule=None, default_args={"bash_command": "echo hi"}) as dag:
        BashOperator.partial(task_id="b").expand(env=[{"A": "1"}])
    assert dag.get_task("b").is_mapped


def test_context_parameters_are_not_required() -> None:
    @task
    def with_ti(x: int, ti: Any) -> int:
        return x

    with make_dag() as dag:
        with_ti.expand(x=[1])
    assert dag.has_task("with_ti")


def test_trigger_rule_always_on_a_task_mapped_over_an_upstream_result() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        add.override(trigger_rule="always").partial(y=1).expand(x=produce())
    check(info.value, "trigger_rule='always'", "before its input exists", argument="trigger_rule")
    with make_dag() as dag:  # over a literal it is fine
        add.override(trigger_rule="always").partial(y=1).expand(x=[1])
    assert dag.has_task("add")


def test_trigger_rule_always_inside_a_group_mapped_over_an_upstream_result() -> None:
    @task_group
    def group(a: int) -> None:
        add.override(trigger_rule="always")(a, 1)

    with make_dag(), pytest.raises(MappingDefinitionError, match="trigger_rule='always'"):
        group.expand(a=produce())


def test_partial_on_an_instance_and_without_task_id() -> None:
    with make_dag():
        operator = EmptyOperator(task_id="e")
        with pytest.raises(MappingDefinitionError, match="must be called on the operator class"):
            operator.partial(task_id="x")
        with pytest.raises(MappingDefinitionError) as info:
            EmptyOperator.partial()
        check(info.value, "partial() needs task_id=", argument="task_id")


def test_taskflow_partial_refuses_operator_arguments() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        add.partial(retries=3)
    assert "operator argument 'retries'" in str(info.value)
    assert "@task(retries=...)" in str(info.value)
    assert "add.override(retries=...)" in str(info.value)
    with make_dag(), pytest.raises(MappingDefinitionError, match="unexpected argument 'nope'"):
        add.partial(nope=3)


def test_expand_kwargs_literal_checks() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError, match="item 1 is a str, not a dict"):
        add.expand_kwargs([{"x": 1, "y": 2}, "oops"])
    with make_dag(), pytest.raises(MappingDefinitionError, match="takes a list of dicts or an XComArg, not dict"):
        add.expand_kwargs({"x": 1})
    with make_dag(), pytest.raises(MappingDefinitionError, match="cannot map over 'z'"):
        add.expand_kwargs([{"x": 1, "y": 2, "z": 3}])
    with make_dag(), pytest.raises(MappingDefinitionError, match="'retries' cannot be mapped"):
        BashOperator.partial(task_id="b").expand_kwargs([{"bash_command": "x", "retries": 1}])


def test_expand_inside_a_mapped_group_is_refused() -> None:
    @task_group
    def group(a: int) -> None:
        add.partial(y=a).expand(x=[1, 2])

    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        group.expand(a=[1, 2])
    check(info.value, "cannot expand a task inside mapped task group 'group'")


def test_nested_mapped_groups_are_refused() -> None:
    @task_group
    def inner(b: int) -> None:
        add(b, 1)

    @task_group
    def outer(a: int) -> None:
        inner.expand(b=[a])

    with make_dag(), pytest.raises(MappingDefinitionError) as info:
        outer.expand(a=[1, 2])
    check(info.value, "is inside mapped task group 'outer'", "nested mapped task groups")


def test_a_mapped_group_inside_a_plain_group_is_fine() -> None:
    @task_group
    def inner(b: int) -> None:
        add(b, 1)

    @task_group
    def outer() -> None:
        inner.expand(b=[1, 2])

    with make_dag() as dag:
        outer()
    assert dag.get_task("outer.inner.add").is_mapped


def test_mapped_group_checks_its_arguments() -> None:
    @task_group
    def group(a: int, b: int = 0) -> None:
        add(a, b)

    with make_dag(), pytest.raises(MappingDefinitionError, match="expand\\(\\) needs at least one argument"):
        group.expand()
    with make_dag(), pytest.raises(MappingDefinitionError, match="cannot map over 'c'"):
        group.expand(c=[1])
    with make_dag(), pytest.raises(MappingDefinitionError, match="'a' is given neither"):
        group.expand(b=[1])
    with make_dag(), pytest.raises(MappingDefinitionError, match="cannot map over a str"):
        group.expand(a="abc")
    with make_dag(), pytest.raises(MappingDefinitionError, match="cannot map over 'ds'"):
        group.partial(a=1).expand(ds=[1])

    @task_group
    def varargs(**kwargs: Any) -> None:
        return None

    with make_dag(), pytest.raises(MappingDefinitionError, match="cannot be used with a function taking"):
        varargs.expand_kwargs([{"a": 1}])


def test_map_needs_a_plain_function() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError, match="a @task cannot be used here"):
        produce().map(add)


def test_zip_and_concat_check_their_inputs() -> None:
    with make_dag(), pytest.raises(MappingDefinitionError, match="zip\\(\\) takes XComArgs, lists, tuples or dicts"):
        produce().zip("abc")
    with make_dag(), pytest.raises(MappingDefinitionError, match="concat\\(\\) needs at least one other input"):
        produce().concat()
    with make_dag(), pytest.raises(TypeError, match="not iterable in the DAG file"):
        list(produce())
