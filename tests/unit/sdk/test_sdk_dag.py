"""DAG objects: arguments, context manager, @dag, ids, cycles, dependencies helpers, edge labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dagmap import DAG, Label, Param, chain, chain_linear, cross_downstream, dag, task
from dagmap.errors import CycleError, DagDefinitionError, DuplicateTaskIdError, TaskNotFound
from dagmap.operators import EmptyOperator


def test_arguments_are_kept_and_normalized() -> None:
    with DAG(
        "d",
        description="desc",
        schedule_interval="@daily",
        start_date=datetime(2024, 1, 1),
        end_date=datetime(2024, 2, 1, tzinfo=UTC),
        default_args={"owner": "ann", "params": {"from_defaults": 1}},
        params={"n": Param(3, type="integer")},
        template_searchpath="/tmp",
        max_active_runs=2,
        max_active_tasks=4,
        dagrun_timeout=timedelta(minutes=5),
        tags=["a"],
        doc_md="doc",
        owner_links={"ann": "https://example.com"},
        is_paused_upon_creation=True,
        catchup=True,
    ) as the_dag:
        EmptyOperator(task_id="e")
    assert the_dag.schedule == "@daily" and the_dag.timetable.summary == "@daily"
    assert the_dag.start_date == datetime(2024, 1, 1, tzinfo=UTC)
    assert the_dag.template_searchpath == ["/tmp"]
    assert dict(the_dag.params) == {"from_defaults": 1, "n": 3}
    assert the_dag.fileloc == __file__
    assert the_dag.owner == "ann" and the_dag.get_task("e").owner == "ann"
    assert the_dag.catchup and the_dag.max_active_tasks == 4


def test_defaults_and_time_zones() -> None:
    the_dag = DAG("d", start_date=datetime(2024, 1, 1, tzinfo=ZoneInfo("Europe/Amsterdam")))
    assert the_dag.schedule is None and not the_dag.catchup
    assert the_dag.start_date == datetime(2023, 12, 31, 23, tzinfo=UTC)
    assert str(the_dag.timezone) == "Europe/Amsterdam"


def test_bad_dag_arguments() -> None:
    with pytest.raises(DagDefinitionError, match="give only one of schedule, schedule_interval"):
        DAG("d", schedule="@daily", schedule_interval="@hourly")
    with pytest.raises(DagDefinitionError, match="unknown arguments: shedule"):
        DAG("d", shedule="@daily")
    with pytest.raises(DagDefinitionError, match="invalid schedule"):
        DAG("d", schedule=42)
    with pytest.raises(DagDefinitionError, match="may contain only letters"):
        DAG("bad id")


def test_task_ids_duplicates_and_lookup() -> None:
    with DAG("d") as the_dag:
        EmptyOperator(task_id="a")
        with pytest.raises(DuplicateTaskIdError) as info:
            EmptyOperator(task_id="a")
        with pytest.raises(DagDefinitionError, match="may contain only letters, digits"):
            EmptyOperator(task_id="a b")
        with pytest.raises(DagDefinitionError, match="longer than 250"):
            EmptyOperator(task_id="x" * 251)
    assert "the task id 'a' is used twice" in str(info.value) and info.value.dag_id == "d"
    with pytest.raises(TaskNotFound):
        the_dag.get_task("zzz")


def test_cycles_are_named() -> None:
    with DAG("d") as the_dag:
        a, b, c = (EmptyOperator(task_id=t) for t in "abc")
        a >> b >> c >> a
    with pytest.raises(CycleError) as info:
        the_dag.validate()
    assert "the DAG has a cycle: a -> b -> c -> a" in str(info.value)
    with pytest.raises(CycleError):
        the_dag.topological_sort()


def test_topological_sort_breaks_ties_by_task_id() -> None:
    with DAG("d") as the_dag:
        z, y, _x, w = (EmptyOperator(task_id=t) for t in "zyxw")
        z >> w
        y >> w
    assert [t.task_id for t in the_dag.topological_sort()] == ["x", "y", "z", "w"]
    assert {t.task_id for t in the_dag.roots} == {"x", "y", "z"}
    assert {t.task_id for t in the_dag.leaves} == {"x", "w"}


def test_chain_cross_downstream_chain_linear_and_labels() -> None:
    with DAG("d"):
        t = {name: EmptyOperator(task_id=name) for name in "abcdefghij"}
        chain(t["a"], [t["b"], t["c"]], [t["d"], t["e"]], t["f"])
        cross_downstream([t["g"], t["h"]], [t["i"], t["j"]])
    assert t["a"].downstream_task_ids == {"b", "c"}
    assert t["b"].downstream_task_ids == {"d"} and t["c"].downstream_task_ids == {"e"}
    assert t["f"].upstream_task_ids == {"d", "e"}
    assert t["i"].upstream_task_ids == {"g", "h"} and t["j"].upstream_task_ids == {"g", "h"}
    with pytest.raises(DagDefinitionError, match="same length"):
        chain([t["a"]], [t["b"], t["c"]])
    with DAG("d2") as other:
        u = {name: EmptyOperator(task_id=name) for name in "abcdefg"}
        chain_linear(u["a"], [u["b"], u["c"]], [u["d"], u["e"], u["f"]], u["g"])
        u["a"] >> Label("to g") >> u["g"]
        [u["b"], u["c"]] >> Label("fan in") >> u["g"]
    assert u["d"].upstream_task_ids == {"b", "c"} and u["g"].upstream_task_ids == {"a", "b", "c", "d", "e", "f"}
    assert other.get_edge_label("a", "g") == "to g" and other.get_edge_label("c", "g") == "fan in"
    assert other.get_edge_label("a", "b") is None


def test_relationships_need_a_dag_and_the_same_dag() -> None:
    loose_a, loose_b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
    with pytest.raises(DagDefinitionError, match="neither is in a DAG"):
        loose_a >> loose_b
    with DAG("one"):
        first = EmptyOperator(task_id="first")
    with DAG("two"):
        second = EmptyOperator(task_id="second")
    with pytest.raises(DagDefinitionError, match="different DAGs"):
        first >> second
    first >> loose_a  # a task without a DAG joins the other's DAG
    assert loose_a.dag is first.dag and first.dag.has_task("a")


def test_dag_decorator_builds_params_doc_and_id() -> None:
    @task
    def show(value: int) -> int:
        return value

    @dag(schedule=None, start_date=datetime(2024, 1, 1), params={"n": Param(1, type="integer")})
    def my_pipeline(n: int = 5, label: str = "x") -> None:
        """Doc of the pipeline."""
        show(n)

    built = my_pipeline()
    assert built.dag_id == "my_pipeline" and built.doc_md == "Doc of the pipeline."
    assert dict(built.params) == {"n": 5, "label": "x"}
    assert built.params.get_param("n").schema == {"type": "integer"}
    assert built.fileloc == __file__

    @dag
    def bare() -> None:
        return None

    assert bare().dag_id == "bare"

    @dag("explicit_id")
    def named() -> None:
        return None

    assert named().dag_id == "explicit_id"
    with pytest.raises(DagDefinitionError, match="unexpected keyword"):
        my_pipeline(zzz=1)
