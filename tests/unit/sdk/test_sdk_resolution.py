"""prepare_task_for_run: each instance's arguments, resolved from literals and an in-memory XCom source."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from dagmap import DAG, AirflowSkipException, task, task_group
from dagmap.errors import MappingDefinitionError, UnmappableXComError, XComNotFound
from dagmap.operators import BashOperator, PythonOperator
from dagmap.sdk.runtime import InMemoryXComSource, prepare_task_for_run


def make_dag() -> DAG:
    return DAG("d", start_date=datetime(2024, 1, 1), schedule=None)


@task
def produce() -> list[Any]:
    return []


@task
def echo(value: Any) -> Any:
    return value


@task
def pair(x: Any, y: Any) -> tuple[Any, Any]:
    return (x, y)


def run(dag: DAG, task_id: str, map_index: int, xcom: InMemoryXComSource | None = None) -> Any:
    operator = prepare_task_for_run(dag.get_task(task_id), map_index=map_index, xcom=xcom or InMemoryXComSource())
    return operator.execute({})


def test_cross_product_order_last_argument_fastest() -> None:
    with make_dag() as dag:
        pair.expand(x=[2, 4, 8], y=[5, 10])
    results = [run(dag, "pair", i) for i in range(6)]
    assert results == [(2, 5), (2, 10), (4, 5), (4, 10), (8, 5), (8, 10)]
    with pytest.raises(MappingDefinitionError) as info:
        run(dag, "pair", 6)
    assert "map index 6 is out of range: the expansion has 6 instances" in str(info.value)
    assert info.value.map_index == 6 and info.value.task_id == "pair"


def test_cross_product_with_an_upstream_and_a_dict() -> None:
    with make_dag() as dag:
        pair.expand(x=produce(), y={"a": 1, "b": 2})
    xcom = InMemoryXComSource({("produce", -1): ["p", "q"]})
    assert [run(dag, "pair", i, xcom) for i in range(4)] == [
        ("p", ("a", 1)), ("p", ("b", 2)), ("q", ("a", 1)), ("q", ("b", 2)),
    ]  # fmt: skip


def test_upstream_dict_expands_over_items() -> None:
    with make_dag() as dag:
        echo.expand(value=produce())
    xcom = InMemoryXComSource({("produce", -1): {"k": 1, "m": 2}})
    assert [run(dag, "echo", i, xcom) for i in range(2)] == [("k", 1), ("m", 2)]


def test_expand_kwargs_literal_and_upstream() -> None:
    with make_dag() as dag:
        pair.expand_kwargs([{"x": 1, "y": 2}, {"x": 3, "y": 4}])
        pair.override(task_id="from_upstream").expand_kwargs(produce())
        pair.override(task_id="items_from_upstream").expand_kwargs([produce(), {"x": 0, "y": 0}])
    assert run(dag, "pair", 1) == (3, 4)
    xcom = InMemoryXComSource({("produce", -1): [{"x": "a", "y": "b"}, "bad", {"x": 1, "z": 2}, {"x": 1}]})
    assert run(dag, "from_upstream", 0, xcom) == ("a", "b")
    with pytest.raises(MappingDefinitionError) as info:
        run(dag, "from_upstream", 1, xcom)
    assert "expand_kwargs() item 1 is a str" in str(info.value) and info.value.map_index == 1
    with pytest.raises(MappingDefinitionError) as info:
        run(dag, "from_upstream", 2, xcom)
    assert "item 2 sets unknown argument 'z'" in str(info.value) and info.value.argument == "z"
    with pytest.raises(MappingDefinitionError) as info:
        run(dag, "from_upstream", 3, xcom)
    assert "cannot create map index 3" in str(info.value) and "missing" in str(info.value)


def test_expand_kwargs_item_given_to_partial_is_refused_at_run_time() -> None:
    with make_dag() as dag:
        pair.partial(y=1).expand_kwargs(produce())
    with pytest.raises(MappingDefinitionError, match="sets 'y', given to partial"):
        run(dag, "pair", 0, InMemoryXComSource({("produce", -1): [{"x": 1, "y": 2}]}))


def test_map_zip_concat_and_fillvalue() -> None:
    with make_dag() as dag:
        first = produce.override(task_id="first")()
        second = produce.override(task_id="second")()
        echo.override(task_id="mapped").expand(value=first.map(lambda v: v * 10).map(str))
        echo.override(task_id="zipped").expand(value=first.zip(second))
        echo.override(task_id="padded").expand(value=first.zip(second, [7], fillvalue=None))
        echo.override(task_id="joined").expand(value=first.concat(second, ["lit"], {"k": "v"}))
        echo.override(task_id="dict_map").expand(value=second.map(lambda item: item))
    xcom = InMemoryXComSource({("first", -1): [1, 2, 3], ("second", -1): ["a", "b"]})
    assert [run(dag, "mapped", i, xcom) for i in range(3)] == ["10", "20", "30"]
    assert [run(dag, "zipped", i, xcom) for i in range(2)] == [(1, "a"), (2, "b")]
    assert [run(dag, "padded", i, xcom) for i in range(3)] == [(1, "a", 7), (2, "b", None), (3, None, None)]
    assert [run(dag, "joined", i, xcom) for i in range(7)] == [1, 2, 3, "a", "b", "lit", ("k", "v")]
    dict_xcom = InMemoryXComSource({("second", -1): {"a": 1}})
    assert run(dag, "dict_map", 0, dict_xcom) == ("a", 1)


def test_skip_raised_in_a_map_function_propagates() -> None:
    def only_odd(n: int) -> int:
        if n % 2 == 0:
            raise AirflowSkipException("even")
        return n

    with make_dag() as dag:
        echo.expand(value=produce().map(only_odd))
    xcom = InMemoryXComSource({("produce", -1): [1, 2]})
    assert run(dag, "echo", 0, xcom) == 1
    with pytest.raises(AirflowSkipException):
        run(dag, "echo", 1, xcom)


def test_mapped_over_mapped_and_reducer() -> None:
    with make_dag() as dag:
        firsts = echo.override(task_id="first").expand(value=[1, 2, 3])
        seconds = echo.override(task_id="second").expand(value=firsts)
        echo.override(task_id="reduce")(seconds)
    xcom = InMemoryXComSource({("first", 0): 10, ("first", 2): 30})
    xcom.push("first", None, map_index=1)  # None is not pushed: later values shift down
    assert [run(dag, "second", i, xcom) for i in range(2)] == [10, 30]
    xcom.push("second", 11, map_index=0)
    xcom.push("second", 31, map_index=1)
    assert run(dag, "reduce", -1, xcom) == [11, 31]
    assert run(dag, "reduce", -1, InMemoryXComSource()) == []


def test_mapped_task_group_resolves_per_index() -> None:
    with make_dag() as dag:
        single = produce.override(task_id="single")()

        @task_group
        def group(a: int, b: str, fixed: str) -> None:
            inner = pair.override(task_id="inner")(a, b)
            pair.override(task_id="after")(inner, fixed)
            pair.override(task_id="outside_value")(single, a)

        group.partial(fixed="F").expand(a=produce(), b=["x", "y"])
        echo.override(task_id="reduce")(dag.get_task("group.inner").output)
    xcom = InMemoryXComSource({("produce", -1): [1, 2], ("single", -1): "S"})
    assert [run(dag, "group.inner", i, xcom) for i in range(4)] == [(1, "x"), (1, "y"), (2, "x"), (2, "y")]
    for i, value in enumerate(["i0", "i1", "i2", "i3"]):
        xcom.push("group.inner", value, map_index=i)
    assert run(dag, "group.after", 2, xcom) == ("i2", "F")
    assert run(dag, "group.outside_value", 3, xcom) == ("S", 2)
    assert run(dag, "reduce", -1, xcom) == ["i0", "i1", "i2", "i3"]


def test_mapped_group_over_expand_kwargs_uses_defaults_and_reports_missing_keys() -> None:
    with make_dag() as dag:

        @task_group
        def group(a: int, b: int = 5) -> None:
            pair(a, b)

        group.expand_kwargs(produce())
    xcom = InMemoryXComSource({("produce", -1): [{"a": 1}, {"a": 2, "b": 3}, {"b": 1}]})
    assert run(dag, "group.pair", 0, xcom) == (1, 5)
    assert run(dag, "group.pair", 1, xcom) == (2, 3)
    with pytest.raises(MappingDefinitionError, match="has no key 'a'"):
        run(dag, "group.pair", 2, xcom)


def test_classic_operator_mapped_over_upstream_output() -> None:
    with make_dag() as dag:
        producer = PythonOperator(task_id="producer", python_callable=lambda: [[1], [2]])
        PythonOperator.partial(task_id="times", python_callable=lambda x, y: x * y, op_kwargs={"y": 3}).expand(
            op_args=producer.output
        )
    xcom = InMemoryXComSource({("producer", -1): [[1], [2]]})
    operator = prepare_task_for_run(dag.get_task("times"), map_index=1, xcom=xcom)
    assert isinstance(operator, PythonOperator)
    assert operator.task_id == "times" and operator.map_index == 1
    assert operator.op_args == [2] and operator.execute({}) == 6
    assert operator.upstream_task_ids == {"producer"}


def test_classic_operator_params_are_merged() -> None:
    with make_dag() as dag:
        BashOperator.partial(task_id="b", bash_command="echo", params={"a": 1, "b": 2}).expand(
            params=[{"b": 3}, {"c": 4}]
        )
    operator = prepare_task_for_run(dag.get_task("b"), map_index=0, xcom=InMemoryXComSource())
    assert dict(operator.params) == {"a": 1, "b": 3}
    operator = prepare_task_for_run(dag.get_task("b"), map_index=1, xcom=InMemoryXComSource())
    assert dict(operator.params) == {"a": 1, "b": 2, "c": 4}


def test_unmapped_tasks_resolve_xcom_args_nested_in_template_fields() -> None:
    with make_dag() as dag:
        value = produce()
        echo.override(task_id="nested")({"list": [value, 1], "plain": "x"})
        bash = BashOperator(task_id="bash", bash_command=value, env={"V": value["key"]})
    assert bash.upstream_task_ids == {"produce"}
    xcom = InMemoryXComSource({("produce", -1): "V1", ("produce", -1, "key"): "K"})
    assert run(dag, "nested", -1, xcom) == {"list": ["V1", 1], "plain": "x"}
    operator = prepare_task_for_run(dag.get_task("bash"), map_index=-1, xcom=xcom)
    assert operator.bash_command == "V1" and operator.env == {"V": "K"}
    assert dag.get_task("bash").bash_command is not operator.bash_command  # the DAG's task is untouched
    with pytest.raises(XComNotFound):
        run(dag, "nested", -1, InMemoryXComSource())


def test_unmappable_value_at_run_time() -> None:
    with make_dag() as dag:
        echo.expand(value=produce())
    with pytest.raises(UnmappableXComError, match="cannot map over the 'int'"):
        run(dag, "echo", 0, InMemoryXComSource({("produce", -1): 5}))


def test_ten_thousand_instances_resolve_without_rebuilding_the_product() -> None:
    calls = 0

    class CountingList(list):  # type: ignore[type-arg]
        def __getitem__(self, index: Any) -> Any:
            nonlocal calls
            calls += 1
            return super().__getitem__(index)

    with make_dag() as dag:
        pair.expand(x=CountingList(range(100)), y=CountingList(range(100)))
    task_ = dag.get_task("pair")
    xcom = InMemoryXComSource()
    started = time.perf_counter()
    results = [prepare_task_for_run(task_, map_index=i, xcom=xcom).op_kwargs for i in range(10_000)]
    elapsed = time.perf_counter() - started
    assert results[0] == {"x": 0, "y": 0} and results[-1] == {"x": 99, "y": 99} and results[101] == {"x": 1, "y": 1}
    assert calls == 20_000, "two element lookups per instance, never a full product"
    assert elapsed < 30  # generous bound; the point is the lookup count above


def test_xcom_args_in_partial_arguments_of_classic_and_taskflow_tasks() -> None:
    with make_dag() as dag:
        value = produce()
        PythonOperator.partial(task_id="classic", python_callable=lambda x, y: (x, y), op_kwargs={"y": value}).expand(
            op_args=[[1], [2]]
        )
        pair.override(task_id="flow").partial(y={"nested": [value]}).expand(x=[1, 2])
    assert dag.get_task("classic").upstream_task_ids == {"produce"}
    xcom = InMemoryXComSource({("produce", -1): "V"})
    assert run(dag, "classic", 1, xcom) == (2, "V")
    operator = prepare_task_for_run(dag.get_task("flow"), map_index=0, xcom=xcom)
    assert operator.execute({}) == (1, {"nested": ["V"]})
    assert ("op_kwargs", "y", "nested", 0) in operator._dagmap_xcom_paths
