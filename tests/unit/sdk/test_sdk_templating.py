"""Template rendering per instance: fields, files, native types, XCom values left alone, errors, names."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dagmap import DAG, get_current_context, task
from dagmap.errors import TemplateError
from dagmap.operators import BashOperator, EmptyOperator, PythonOperator
from dagmap.sdk.context import set_current_context
from dagmap.sdk.runtime import InMemoryXComSource, prepare_task_for_run, render_map_index
from dagmap.sdk.templating import get_template_env


class TI:
    def __init__(self, map_index: int = -1) -> None:
        self.map_index = map_index


class SqlOperator(EmptyOperator):
    template_fields = ("sql", "parameters")
    template_ext = (".sql",)

    def __init__(self, *, sql: str, parameters: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sql = sql
        self.parameters = parameters


def context(map_index: int = -1, **extra: Any) -> dict[str, Any]:
    return {"ti": TI(map_index), "ds": "2024-01-02", "params": {"p": "P"}, **extra}


def prepared(dag: DAG, task_id: str, map_index: int, xcom: InMemoryXComSource | None = None) -> Any:
    return prepare_task_for_run(dag.get_task(task_id), map_index=map_index, xcom=xcom or InMemoryXComSource())


def test_nested_values_render_and_keep_their_types() -> None:
    with DAG("d", schedule=None) as dag:
        SqlOperator(
            task_id="s",
            sql="select '{{ ds }}'",
            parameters={"a": ["{{ ti.map_index }}", ("{{ params.p }}", 1)], "b": {"{{ ds }}"}, "c": 5},
        )
    operator = prepared(dag, "s", -1)
    operator.render_template_fields(context())
    assert operator.sql == "select '2024-01-02'"
    assert operator.parameters == {"a": ["-1", ("P", 1)], "b": {"2024-01-02"}, "c": 5}
    assert dag.get_task("s").sql == "select '{{ ds }}'"  # only the prepared copy changes


def test_sql_files_from_the_dag_folder_and_the_search_path(tmp_path: Path) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "one.sql").write_text("select {{ ti.map_index }}")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "two.sql").write_text("select '{{ ds }}'")
    with DAG("d", schedule=None, fileloc=str(tmp_path / "dag.py"), template_searchpath=str(extra)) as dag:
        SqlOperator.partial(task_id="s").expand(sql=["queries/one.sql", "two.sql", "missing.sql"])
    operator = prepared(dag, "s", 0)
    operator.render_template_fields(context(0))
    assert operator.sql == "select 0"
    operator = prepared(dag, "s", 1)
    operator.render_template_fields(context(1))
    assert operator.sql == "select '2024-01-02'"
    operator = prepared(dag, "s", 2)
    with pytest.raises(TemplateError) as info:
        operator.render_template_fields(context(2))
    message = str(info.value)
    assert "task 's'" in message and "map index 2" in message and "argument 'sql'" in message
    assert "template file 'missing.sql' not found" in message


def test_missing_variable_names_task_field_and_map_index() -> None:
    with DAG("d", schedule=None) as dag:
        BashOperator.partial(task_id="b").expand(bash_command=["echo {{ nope }}"])
    operator = prepared(dag, "b", 0)
    with pytest.raises(TemplateError) as info:
        operator.render_template_fields(context(0))
    assert info.value.task_id == "b" and info.value.map_index == 0 and info.value.argument == "bash_command"
    assert "'nope' is undefined" in str(info.value)


def test_xcom_values_are_not_rendered_literal_and_partial_values_are() -> None:
    @task
    def produce() -> list[str]:
        return []

    @task
    def show(text: str, suffix: str, literal: str = "") -> str:
        return text + suffix

    with DAG("d", schedule=None) as dag:
        values = produce()
        show.partial(suffix="{{ ti.map_index }}").expand(text=values)
        show.override(task_id="literal").partial(suffix="-").expand(text=["{{ ds }}"])
        BashOperator.partial(task_id="bash").expand(bash_command=values)
    xcom = InMemoryXComSource({("produce", -1): ["{{ ds }}", "x"]})
    operator = prepared(dag, "show", 0, xcom)
    operator.render_template_fields(context(0))
    assert operator.op_kwargs == {"suffix": "0", "text": "{{ ds }}"}
    operator = prepared(dag, "literal", 0, xcom)
    operator.render_template_fields(context(0))
    assert operator.op_kwargs["text"] == "2024-01-02"
    operator = prepared(dag, "bash", 0, xcom)
    operator.render_template_fields(context(0))
    assert operator.bash_command == "{{ ds }}"


def test_native_rendering() -> None:
    with DAG("d", schedule=None, render_template_as_native_obj=True) as dag:
        PythonOperator(task_id="p", python_callable=lambda v: v, op_args=["{{ [1, 2] }}", "{{ 40 + 2 }}"])
    operator = prepared(dag, "p", -1)
    operator.render_template_fields(context())
    assert operator.op_args == [[1, 2], 42]


def test_default_macros_and_user_macros_and_filters() -> None:
    with DAG(
        "d",
        schedule=None,
        user_defined_macros={"project": "alpha"},
        user_defined_filters={"shout": lambda s: s.upper() + "!"},
    ) as dag:
        BashOperator(
            task_id="b",
            bash_command=(
                "{{ macros.ds_add(ds, 5) }} {{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m') }} "
                "{{ project | shout }} {{ macros.timedelta(days=1).days }} {{ logical_date | ds_nodash }}"
            ),
        )
    operator = prepared(dag, "b", -1)
    operator.render_template_fields(context(logical_date=datetime(2024, 3, 4)))
    assert operator.bash_command == "2024-01-07 02/01 ALPHA! 1 20240304"
    assert get_template_env(dag) is get_template_env(dag)  # one environment per DAG


def test_dag_params_of_a_dag_function_resolve_when_rendering() -> None:
    from dagmap import dag as dag_decorator

    @task
    def show(value: str) -> str:
        return value

    @dag_decorator(schedule=None)
    def with_param(word: str = "hello") -> None:
        show(word)

    built = with_param()
    assert built.params["word"] == "hello"
    operator = prepared(built, "show", -1)
    operator.render_template_fields({"params": {"word": "from conf"}})
    assert operator.op_args == ["from conf"]


def test_unresolved_xcom_args_are_reported() -> None:
    @task
    def produce() -> str:
        return ""

    with DAG("d", schedule=None) as dag:
        BashOperator(task_id="b", bash_command=produce())
    with pytest.raises(TemplateError, match="call prepare_task_for_run"):
        dag.get_task("b").render_template_fields(context())  # type: ignore[attr-defined]


def test_map_index_template_after_execute() -> None:
    @task(map_index_template="{{ n }} / {{ extra }}")
    def named(n: int) -> int:
        get_current_context()["extra"] = n * 2
        return n

    with DAG("d", schedule=None) as dag:
        named.expand(n=[3, 4])
        BashOperator.partial(task_id="b", map_index_template="cmd {{ task.bash_command }}").expand(
            bash_command=["echo {{ ti.map_index }}"]
        )
        EmptyOperator(task_id="plain")
    operator = prepared(dag, "named", 1)
    ctx = context(1)
    with set_current_context(ctx):
        operator.render_template_fields(ctx)
        operator.execute(ctx)
    assert render_map_index(operator, ctx) == "4 / 8"
    operator = prepared(dag, "b", 0)
    ctx = context(0)
    operator.render_template_fields(ctx)
    ctx["task"] = operator
    assert render_map_index(operator, ctx) == "cmd echo 0"
    assert render_map_index(prepared(dag, "plain", -1), context()) is None


def test_map_index_template_is_truncated_to_250_characters() -> None:
    with DAG("d", schedule=None) as dag:
        BashOperator.partial(task_id="b", map_index_template="{{ 'x' * 300 }}").expand(bash_command=["true"])
    name = render_map_index(prepared(dag, "b", 0), context(0))
    assert name == "x" * 250


def test_map_index_template_sees_positional_arguments_in_a_mapped_group() -> None:
    from dagmap import task_group

    @task(map_index_template="item {{ n }}")
    def inner(n: int) -> int:
        return n

    @task_group
    def group(n: int) -> None:
        inner(n)

    with DAG("d", schedule=None) as dag:
        group.expand(n=[7, 8])
    operator = prepared(dag, "group.inner", 1)
    assert render_map_index(operator, context(1)) == "item 8"
