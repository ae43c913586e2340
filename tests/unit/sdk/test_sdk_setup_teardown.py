"""Setup and teardown groundwork: the spec carries an operator's ``is_setup`` / ``is_teardown`` (the public
entry points still refuse; see tests/unit/compat/test_compat_operators.py)."""

from __future__ import annotations

from dagmap import DAG, task
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.spec import dag_spec_from_json, dag_spec_to_json
from dagmap.operators import EmptyOperator


def test_spec_carries_setup_and_teardown_flags_and_round_trips() -> None:
    with DAG("d") as dag:
        create = EmptyOperator(task_id="create")

        @task
        def work(x: int) -> int:
            return x

        mapped = work.expand(x=[1, 2])
        delete = EmptyOperator(task_id="delete")
        create >> mapped >> delete
    create.is_setup = True  # type: ignore[attr-defined]
    delete.is_teardown = True  # type: ignore[attr-defined]
    spec = dag_to_spec(dag)
    assert (spec.task("create").is_setup, spec.task("create").is_teardown) == (True, False)
    assert (spec.task("delete").is_setup, spec.task("delete").is_teardown) == (False, True)
    assert not spec.task("work").is_setup and not spec.task("work").is_teardown
    assert dag_spec_from_json(dag_spec_to_json(spec)) == spec
