"""Airflow's setup/teardown authoring API: as_setup / as_teardown on tasks and XComArgs, the ``with`` form,
``@setup`` and ``@teardown``; what reaches the spec."""

from __future__ import annotations

import pytest

from dagmap import DAG, setup, task, teardown
from dagmap.errors import DagDefinitionError
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.spec import dag_spec_from_json, dag_spec_to_json
from dagmap.operators import EmptyOperator


@task
def work(x: int) -> int:
    return x


def flags(dag: DAG, task_id: str) -> tuple[bool, bool, bool, str]:
    spec = dag_to_spec(dag).task(task_id)
    return spec.is_setup, spec.is_teardown, spec.on_failure_fail_dagrun, spec.trigger_rule


def test_as_setup_and_as_teardown_on_operators_return_the_task_and_link_setups() -> None:
    with DAG("d") as dag:
        create = EmptyOperator(task_id="create")
        delete = EmptyOperator(task_id="delete")
        assert create.as_setup() is create
        assert delete.as_teardown(setups=create, on_failure_fail_dagrun=True) is delete
    assert flags(dag, "create") == (True, False, False, "all_success")
    assert flags(dag, "delete") == (False, True, True, "all_done_setup_success")
    assert delete.upstream_task_ids == {"create"}


def test_with_setup_rshift_teardown_puts_the_tasks_inside_between_them() -> None:
    with DAG("d") as dag:
        create = EmptyOperator(task_id="create")
        delete = EmptyOperator(task_id="delete").as_teardown(setups=create)
        with create >> delete:
            first = EmptyOperator(task_id="first")
            mapped = work.expand(x=[1, 2])
            first >> mapped
        after = EmptyOperator(task_id="after")
    assert first.upstream_task_ids == {"create"}
    assert delete.upstream_task_ids == {"create", "work"}
    assert after.upstream_task_ids == set()
    assert dag_spec_from_json(dag_spec_to_json(dag_to_spec(dag))) == dag_to_spec(dag)


def test_xcom_args_as_setup_and_as_teardown_and_their_with_form() -> None:
    @task
    def make() -> str:
        return "r"

    @task
    def drop(resource: str) -> None:
        del resource

    with DAG("d") as dag:
        made = make()
        assert made.as_setup() is made
        with drop(made).as_teardown(setups=made):
            work(1)
    assert flags(dag, "make")[:2] == (True, False)
    assert flags(dag, "drop")[:2] == (False, True)
    assert dag.get_task("work").upstream_task_ids == {"make"}
    assert dag.get_task("drop").upstream_task_ids == {"make", "work"}


def test_setup_and_teardown_decorators_with_and_without_arguments() -> None:
    @setup
    def make() -> str:
        return "r"

    @teardown(on_failure_fail_dagrun=True)
    def drop(resource: str) -> None:
        del resource

    @teardown
    @task(retries=2)
    def tidy() -> None:
        pass

    with DAG("d") as dag:
        made = make()
        with drop(made):
            work.expand(x=[1, 2])
        tidy()
    assert flags(dag, "make")[:2] == (True, False)
    assert flags(dag, "drop") == (False, True, True, "all_done_setup_success")
    assert flags(dag, "tidy") == (False, True, False, "all_done_setup_success")
    assert dag.get_task("tidy").retries == 2  # type: ignore[attr-defined]
    assert dag.get_task("work").upstream_task_ids == {"make"}
    assert dag.get_task("drop").upstream_task_ids == {"make", "work"}


def test_a_mapped_teardown_from_an_overridden_decorator_keeps_its_mark() -> None:
    @teardown
    def drop(x: int) -> None:
        del x

    with DAG("d") as dag:
        drop.override(task_id="drop_each").expand(x=[1, 2])
    assert flags(dag, "drop_each")[:2] == (False, True)


def test_what_is_refused() -> None:
    with DAG("d"):
        plain = EmptyOperator(task_id="plain")
        with pytest.raises(DagDefinitionError, match="neither a setup nor a teardown"), plain:
            pass
        with pytest.raises(DagDefinitionError, match="cannot be a teardown too"):
            EmptyOperator(task_id="s").as_setup().as_teardown()
    with pytest.raises(DagDefinitionError, match="decorates a function or a @task"):
        setup(42)


def test_a_stored_spec_from_before_on_failure_fail_dagrun_still_loads() -> None:
    import json

    with DAG("d") as dag:
        EmptyOperator(task_id="delete").as_teardown(on_failure_fail_dagrun=True)
    stored = json.loads(dag_spec_to_json(dag_to_spec(dag)))
    assert stored["tasks"][0].pop("on_failure_fail_dagrun") is True
    assert dag_spec_from_json(json.dumps(stored)).task("delete").on_failure_fail_dagrun is False
