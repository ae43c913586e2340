"""dag_to_spec: every field of the frozen spec, for the seed's DAGs and for each mapping construct."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dagmap import DAG, Label, Param, task, task_group
from dagmap.dag_processing import load_dag_file, load_dags_folder
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.spec import (
    ConcatInput,
    ExpandSpec,
    LiteralInput,
    MapInput,
    XComInput,
    ZipInput,
    dag_spec_from_json,
    dag_spec_to_json,
)
from dagmap.operators import BashOperator, EmptyOperator

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_seed_elt_dag() -> None:
    (dag,) = load_dag_file(DAGS / "seed_mapping_elt.py").dags
    spec = dag_to_spec(dag)
    assert spec.dag_id == "mapping_elt" and spec.fileloc == str(DAGS / "seed_mapping_elt.py")
    assert spec.timetable == {"type": "cron_data_interval", "expression": "@daily", "timezone": "UTC"}
    assert spec.timetable_summary == "@daily" and spec.start_date == datetime(2022, 4, 2, tzinfo=UTC)
    assert [t.task_id for t in spec.tasks] == [
        "get_s3_files", "copy_to_snowflake", "move_s3", "delete_landing_files", "transform_in_snowflake",
    ]  # fmt: skip
    copy = spec.task("copy_to_snowflake")
    assert copy.operator == "S3ToSnowflakeOperator" and copy.is_mapped
    assert copy.expand == ExpandSpec(kind="product", arguments=(("s3_keys", XComInput(task_id="get_s3_files")),))
    assert copy.template_fields == ("s3_keys", "file_format")
    assert spec.task("get_s3_files").feeds_mapping and not copy.feeds_mapping
    assert spec.task("get_s3_files").operator == "@task"
    assert copy.downstream_task_ids == ("move_s3", "transform_in_snowflake")
    assert spec.task("get_s3_files").priority_weight == 5 and spec.task("delete_landing_files").priority_weight == 1


def test_seed_ml_dag() -> None:
    (dag,) = load_dag_file(DAGS / "seed_mlflow_multimodel.py").dags
    spec = dag_to_spec(dag)
    assert spec.dag_id == "mlflow_multimodel_example" and spec.timetable == {"type": "null"}
    train = spec.task("train")
    assert train.expand == ExpandSpec(kind="list_of_dicts", arguments=(("", XComInput(task_id="get_models")),))
    assert train.upstream_task_ids == ("feature_engineering", "get_models")
    assert spec.task("get_models").feeds_mapping and not spec.task("feature_engineering").feeds_mapping
    assert spec.tasks[-1].task_id == "train"


def test_every_corpus_dag_round_trips_through_json() -> None:
    result = load_dags_folder(DAGS)
    assert result.import_errors == []
    for dag in result.dags.values():
        spec = dag_to_spec(dag)
        text = dag_spec_to_json(spec)
        assert dag_spec_from_json(text) == spec
        assert dag_spec_to_json(dag_to_spec(dag)) == text  # deterministic


def test_input_specs_and_feeds_mapping_through_map_zip_concat_and_groups() -> None:
    @task
    def produce() -> list[int]:
        return []

    @task
    def use(value: object) -> object:
        return value

    @task_group
    def group(x: int) -> None:
        use(x)

    with DAG("d") as dag:
        a, b, c, d, e = (produce.override(task_id=name)() for name in "abcde")
        use.override(task_id="mapped").expand(value=a.map(str))
        use.override(task_id="zipped").expand(value=b.zip([1, 2], fillvalue=0))
        use.override(task_id="joined").expand(value=c.concat({"k": 1}, d))
        use.override(task_id="product").expand(value=[1, 2, 3])
        group.expand(x=e)
        use.override(task_id="plain")(a)
    spec = dag_to_spec(dag)
    assert spec.task("mapped").expand.arguments == (("value", MapInput(source=XComInput(task_id="a"))),)
    assert spec.task("zipped").expand.arguments == (
        ("value", ZipInput(sources=(XComInput(task_id="b"), LiteralInput(length=2)), longest=True)),
    )
    assert spec.task("joined").expand.arguments == (
        ("value", ConcatInput(sources=(XComInput(task_id="c"), LiteralInput(length=1), XComInput(task_id="d")))),
    )
    assert spec.task("product").expand.arguments == (("value", LiteralInput(length=3)),)
    assert {t.task_id for t in spec.tasks if t.feeds_mapping} == {"a", "b", "c", "d", "e"}
    inner = spec.task("group.use")
    assert inner.expand is None and inner.mapped_group_ids == ("group",) and inner.is_mapped
    assert inner.task_group_id == "group"
    assert spec.group("group").expand == ExpandSpec(kind="product", arguments=(("x", XComInput(task_id="e")),))
    assert not spec.task("plain").is_mapped


def test_task_fields_weights_edges_and_dag_fields() -> None:
    with DAG(
        "d",
        start_date=datetime(2024, 1, 1),
        schedule="0 2 * * *",
        params={"n": Param(2, type="integer", description="count")},
        tags=["x"],
        description="desc",
        dagrun_timeout=timedelta(minutes=1),
        max_active_runs=3,
    ) as dag:
        first = EmptyOperator(task_id="first", priority_weight=2, owner="ann")
        mid = BashOperator.partial(
            task_id="mid", retries=2, retry_delay=timedelta(seconds=5), pool="p", pool_slots=2, queue="q",
            max_active_tis_per_dag=4, max_active_tis_per_dagrun=3, execution_timeout=timedelta(seconds=9),
            map_index_template="{{ x }}", trigger_rule="all_done", priority_weight=3,
        ).expand(bash_command=["a", "b"])  # fmt: skip
        last = EmptyOperator(task_id="last", weight_rule="upstream")
        alone = EmptyOperator(task_id="alone", weight_rule="absolute", priority_weight=9)
        first >> Label("go") >> mid >> last
    spec = dag_to_spec(dag)
    m = spec.task("mid")
    assert (m.retries, m.retry_delay, m.pool, m.pool_slots, m.queue, m.trigger_rule) == (
        2,
        5.0,
        "p",
        2,
        "q",
        "all_done",
    )
    assert (m.max_active_tis_per_dag, m.max_active_tis_per_dagrun, m.execution_timeout) == (4, 3, 9.0)
    assert m.map_index_template == "{{ x }}" and m.operator == "BashOperator"
    assert spec.task("first").priority_weight == 2 + 3 + 1
    assert m.priority_weight == 3 + 1
    assert spec.task("last").priority_weight == 1 + 3 + 2
    assert spec.task("alone").priority_weight == 9
    assert [(e.source, e.target, e.label) for e in spec.edges] == [("first", "mid", "go"), ("mid", "last", None)]
    assert spec.params == {
        "n": {"value": 2, "description": "count", "schema": {"type": "integer"}, "has_default": True}
    }
    assert spec.timetable_summary == "0 2 * * *" and spec.tags == ("x",) and spec.description == "desc"
    assert spec.dagrun_timeout == 60.0 and spec.max_active_runs == 3 and spec.owner == "ann, dagmap"
    assert alone.dag is dag


def test_cycles_are_refused() -> None:
    with DAG("d") as dag:
        a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
        a >> b >> a
    with pytest.raises(Exception, match="cycle: a -> b -> a"):
        dag_to_spec(dag)
