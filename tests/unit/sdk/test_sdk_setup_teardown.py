"""Setup and teardown groundwork: ``mark_setup`` / ``mark_teardown`` and the spec's ``is_setup`` /
``is_teardown`` (the public entry points still refuse; see tests/unit/compat/test_compat_operators.py)."""

from __future__ import annotations

import pytest

from dagmap import DAG, TaskGroup, TriggerRule, task
from dagmap.errors import DagDefinitionError
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.spec import dag_spec_from_json, dag_spec_to_json
from dagmap.operators import EmptyOperator
from dagmap.sdk.abstractoperator import AbstractOperator
from dagmap.sdk.setup_teardown import SetupTeardownScope, mark_setup, mark_teardown, operators_of
from dagmap.sdk.xcom_arg import PlainXComArg, XComArg


@task
def work(x: int) -> int:
    return x


def op(arg: XComArg) -> AbstractOperator:
    assert isinstance(arg, PlainXComArg)
    return arg.operator


def test_spec_carries_setup_and_teardown_flags_and_round_trips() -> None:
    with DAG("d") as dag:
        create = EmptyOperator(task_id="create")
        mapped = work.expand(x=[1, 2])
        delete = EmptyOperator(task_id="delete")
        create >> mapped >> delete
    mark_teardown(delete, setups=create)
    spec = dag_to_spec(dag)
    assert (spec.task("create").is_setup, spec.task("create").is_teardown) == (True, False)
    assert (spec.task("delete").is_setup, spec.task("delete").is_teardown) == (False, True)
    assert spec.task("delete").trigger_rule == "all_done_setup_success"
    assert spec.task("create").trigger_rule == "all_success"
    assert not spec.task("work").is_setup and not spec.task("work").is_teardown
    assert dag_spec_from_json(dag_spec_to_json(spec)) == spec


def test_mark_teardown_links_and_marks_its_setups() -> None:
    with DAG("d"):
        first, second = EmptyOperator(task_id="first"), EmptyOperator(task_id="second")
        made = work(1)
        delete = EmptyOperator(task_id="delete")
    mark_teardown(delete, setups=[first, second, made], on_failure_fail_dagrun=True)
    assert delete.upstream_task_ids == {"first", "second", "work"}
    assert all(t.is_setup for t in (first, second, op(made)))
    assert delete.is_teardown and delete.on_failure_fail_dagrun
    assert delete.trigger_rule is TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert not first.on_failure_fail_dagrun


def test_mark_teardown_without_setups_and_a_mapped_teardown() -> None:
    with DAG("d"):
        mapped = work.expand(x=[1, 2])
    mark_teardown(op(mapped))
    assert op(mapped).is_teardown and not op(mapped).on_failure_fail_dagrun
    assert op(mapped).upstream_task_ids == set()


def test_a_task_is_not_both_setup_and_teardown() -> None:
    with DAG("d"):
        a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
    mark_setup(a)
    with pytest.raises(DagDefinitionError, match="'a' is a setup; it cannot be a teardown too"):
        mark_teardown(a)
    mark_teardown(b)
    with pytest.raises(DagDefinitionError, match="'b' is a teardown; it cannot be a setup too"):
        mark_setup(b)
    with pytest.raises(DagDefinitionError, match="'b' is a teardown"):
        mark_teardown(EmptyOperator(task_id="c", dag=a.dag), setups=b)


def test_operators_of_flattens_tasks_xcom_args_and_lists_once_each() -> None:
    with DAG("d"):
        a = EmptyOperator(task_id="a")
        made = work(1)
    assert [t.task_id for t in operators_of([a, made, a, op(made)])] == ["a", "work"]
    with pytest.raises(DagDefinitionError, match="a setup is a task"):
        operators_of(["a"])


def test_a_group_leaf_that_is_a_teardown_stands_aside_for_the_work_before_it() -> None:
    with DAG("d") as dag:
        with TaskGroup("g") as group:
            create = EmptyOperator(task_id="create")
            query = EmptyOperator(task_id="query")
            delete = EmptyOperator(task_id="delete")
            create >> query >> delete
            mark_teardown(delete, setups=create)
        after = EmptyOperator(task_id="after")
        group >> after
    assert [t.task_id for t in group.leaves] == ["g.query"]
    assert after.upstream_task_ids == {"g.query"}
    assert dag.get_task("g.delete").downstream_task_ids == set()


def test_group_leaves_without_teardowns_are_unchanged() -> None:
    with DAG("d"), TaskGroup("g") as group:
        a, b, c = (EmptyOperator(task_id=name) for name in "abc")
        a >> [b, c]
    assert [t.task_id for t in group.leaves] == ["g.b", "g.c"]


def test_tasks_created_in_a_scope_go_between_the_setups_and_the_teardowns() -> None:
    with DAG("d") as dag:
        create = EmptyOperator(task_id="create")
        delete = EmptyOperator(task_id="delete")
        mark_teardown(delete, setups=create)
        with SetupTeardownScope([delete]):  # `with create >> delete:` in Airflow
            first = EmptyOperator(task_id="first")
            mapped = work.expand(x=[1, 2])
            last = EmptyOperator(task_id="last")
            first >> mapped >> last
        after = EmptyOperator(task_id="after")
    assert create.downstream_task_ids == {"delete", "first"}
    assert delete.upstream_task_ids == {"create", "last"}
    assert op(mapped).upstream_task_ids == {"first"}
    assert after.upstream_task_ids == set()
    # a setup brings its teardowns
    with DAG("e"):
        s, t = EmptyOperator(task_id="s"), EmptyOperator(task_id="t")
        mark_teardown(t, setups=s)
        with SetupTeardownScope([s]):
            inner = EmptyOperator(task_id="inner")
    assert inner.upstream_task_ids == {"s"} and inner.downstream_task_ids == {"t"}
    assert dag.get_task("first").upstream_task_ids == {"create"}


def test_only_setups_and_teardowns_are_scopes() -> None:
    with DAG("d"):
        plain = EmptyOperator(task_id="plain")
    with pytest.raises(DagDefinitionError, match="neither a setup nor a teardown"):
        SetupTeardownScope([plain])
