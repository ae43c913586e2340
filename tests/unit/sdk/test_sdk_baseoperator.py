"""BaseOperator arguments, default_args, unknown arguments, dependencies and XComArgs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dagmap import DAG, BaseOperator, TaskGroup, TriggerRule
from dagmap.errors import DagDefinitionError
from dagmap.operators import BashOperator, EmptyOperator, PythonOperator


class Custom(BaseOperator):
    template_fields = ("message",)

    def __init__(self, *, message: str, level: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message
        self.level = level

    def execute(self, context: dict[str, Any]) -> str:
        return self.message


def test_all_the_settings() -> None:
    with DAG("d") as dag:
        op = EmptyOperator(
            task_id="e",
            owner="ann",
            retries=3,
            retry_delay=30,
            retry_exponential_backoff=True,
            max_retry_delay=timedelta(minutes=10),
            trigger_rule="none_failed_or_skipped",
            execution_timeout=5,
            pool="p",
            pool_slots=2,
            queue="q",
            priority_weight=7,
            weight_rule="absolute",
            max_active_tis_per_dag=3,
            max_active_tis_per_dagrun=2,
            map_index_template="{{ x }}",
            do_xcom_push=False,
            params={"a": 1},
            depends_on_past=True,
            doc_md="doc",
            email="a@example.com",
            email_on_failure=False,
            executor_config={"k": "v"},
            on_failure_callback=print,
        )
    assert op.dag is dag and op.retries == 3 and op.retry_delay == timedelta(seconds=30)
    assert op.trigger_rule is TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS
    assert op.execution_timeout == timedelta(seconds=5) and op.max_retry_delay == timedelta(minutes=10)
    assert (op.pool, op.pool_slots, op.queue, op.priority_weight, op.weight_rule) == ("p", 2, "q", 7, "absolute")
    assert dict(op.params) == {"a": 1} and not op.do_xcom_push and op.on_failure_callback is print


def test_defaults() -> None:
    op = EmptyOperator(task_id="e")
    assert (op.retries, op.pool, op.pool_slots, op.queue, op.trigger_rule) == (
        0,
        "default_pool",
        1,
        "default",
        "all_success",
    )
    assert op.retry_delay == timedelta(seconds=300) and op.owner == "dagmap" and op.dag is None


def test_default_args_apply_only_to_accepted_arguments() -> None:
    with DAG("d", default_args={"retries": 2, "level": 5, "bash_command": "echo", "unknown": 1}):
        with TaskGroup("g", default_args={"retries": 4}):
            custom = Custom(task_id="c", message="m")
        bash = BashOperator(task_id="b")
        explicit = Custom(task_id="x", message="m", level=9, retries=0)
    assert custom.retries == 4 and custom.level == 5
    assert bash.bash_command == "echo" and bash.retries == 2
    assert explicit.level == 9 and explicit.retries == 0


def test_unknown_arguments_name_the_task() -> None:
    with DAG("d"), pytest.raises(DagDefinitionError) as info:
        Custom(task_id="c", message="m", colour="red", size=2)
    assert "Custom got unknown arguments: colour, size" in str(info.value)
    assert info.value.task_id == "c" and info.value.argument == "colour" and info.value.dag_id == "d"


def test_missing_required_argument_and_positional_arguments() -> None:
    with DAG("d"), pytest.raises(DagDefinitionError) as info:
        Custom(task_id="c")
    assert "Custom is missing the required argument 'message'" in str(info.value)
    with pytest.raises(DagDefinitionError, match="use keyword arguments"):
        EmptyOperator("e")  # type: ignore[misc]


def test_bad_values() -> None:
    with pytest.raises(DagDefinitionError, match="unknown trigger_rule 'sometimes'"):
        EmptyOperator(task_id="e", trigger_rule="sometimes")
    with pytest.raises(DagDefinitionError, match="retries must be an integer"):
        EmptyOperator(task_id="e", retries="many")
    with pytest.raises(DagDefinitionError, match="retry_delay must be a timedelta"):
        EmptyOperator(task_id="e", retry_delay="soon")
    with pytest.raises(DagDefinitionError, match="unknown weight_rule"):
        EmptyOperator(task_id="e", weight_rule="heavy")
    with pytest.raises(DagDefinitionError, match="pool_slots must be at least 1"):
        EmptyOperator(task_id="e", pool_slots=0)


def test_shift_operators_with_lists_and_xcom_args() -> None:
    with DAG("d"):
        a, b, c, d = (EmptyOperator(task_id=t) for t in "abcd")
        producer = PythonOperator(task_id="p", python_callable=lambda: 1)
        assert (a >> [b, c]) == [b, c]
        [b, c] >> d
        d << producer.output
        producer.output >> a
    assert d.upstream_task_ids == {"b", "c", "p"} and a.upstream_task_ids == {"p"}
    assert a.downstream_list == [b, c]


def test_xcom_args_in_template_fields_create_dependencies() -> None:
    with DAG("d"):
        producer = PythonOperator(task_id="p", python_callable=lambda: "x")
        custom = Custom(task_id="c", message=producer.output)
        other = PythonOperator(task_id="o", python_callable=print, op_kwargs={"v": [producer.output["k"]]})
    assert custom.upstream_task_ids == {"p"} and other.upstream_task_ids == {"p"}
    assert str(producer.output["k"]) == "{{ task_instance.xcom_pull(task_ids='p', dag_id='d', key='k') }}"


def test_prepare_for_execution_is_a_copy() -> None:
    op = Custom(task_id="c", message="m")
    copy = op.prepare_for_execution()
    copy.message = "changed"  # type: ignore[attr-defined]
    assert op.message == "m" and copy.task_id == "c"


class SuppliesCallable(PythonOperator):
    """Supplies its base's required argument itself (allowed, as in Airflow)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(python_callable=self.run, **kwargs)

    def run(self) -> str:
        return "ran"


class ForwardsNothing(BaseOperator):
    def __init__(self, task_id: str, **kwargs: Any) -> None:
        super().__init__(task_id=task_id)


def test_subclasses_may_supply_required_base_arguments() -> None:
    with DAG("d") as dag:
        op = SuppliesCallable(task_id="s")
        SuppliesCallable.partial(task_id="m").expand(op_args=[[], []])
        loose = ForwardsNothing(task_id="f")
    assert op.execute({}) == "ran" and dag.get_task("m").is_mapped
    assert loose.dag is dag and dag.has_task("f")
