"""Data-aware scheduling through a real ``dagmap scheduler`` on SQLite and PostgreSQL: a DAG on ``a & b`` runs
once, only after both assets were updated, and sees the events (with their extras) that triggered it; a DAG on
``c | b`` runs after each update (the mapped producer's instances may end in separate batches: a DAG on its
asset alone could run more than once)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

from service_harness import ServiceProcess, dag_stored, query, run_state, service_env, trigger, wait_until
from sqlalchemy import func, select

from dagmap.store.orm import AssetDagRunQueueRow, DagRunRow
from dagmap.store.queries import xcom

DAGS = textwrap.dedent(
    """\
    from datetime import datetime
    from dagmap import DAG, Asset, task
    from dagmap.datasets import Dataset
    from dagmap.operators.bash import BashOperator

    A = Asset("s3://lake/a")
    B = Dataset("s3://lake/b")
    C = Asset("s3://lake/c")

    with DAG("produce_a", schedule=None, start_date=datetime(2024, 1, 1)):
        @task(outlets=[A])
        def part(n):
            if n == 1:
                raise ValueError("part 1 is broken")
            return n
        part.expand(n=[0, 1, 2])

        @task(outlets=[C])
        def mark():
            pass
        mark()

    with DAG("produce_b", schedule=None, start_date=datetime(2024, 1, 1)):
        @task(outlets=[B])
        def write(outlet_events=None):
            outlet_events[B].extra = {"rows": 42}
        write()

    with DAG("on_both", schedule=A & B, start_date=datetime(2024, 1, 1)):
        @task
        def read(triggering_asset_events=None):
            return {
                asset.uri: [[e.source_dag_id, e.source_task_id, e.source_map_index, e.extra] for e in events]
                for asset, events in triggering_asset_events.items()
            }
        read()
        BashOperator(task_id="count", bash_command="echo {{ triggering_asset_events | length }}")

    with DAG("on_either", schedule=[C | B], start_date=datetime(2024, 1, 1)):
        @task
        def note(triggering_dataset_events=None):
            return sorted(triggering_dataset_events)
        note()
        BashOperator(  # Airflow's documented way to reach the producing run from a template
            task_id="source",
            bash_command="echo {{ (triggering_dataset_events.values() | first | first).source_dag_run.run_id }}",
        )
    """
)


def _runs(url: str, dag_id: str) -> list[tuple[str, str, str]]:
    rows = query(url, lambda s: s.execute(
        select(DagRunRow.run_id, DagRunRow.run_type, DagRunRow.state).where(DagRunRow.dag_id == dag_id)
        .order_by(DagRunRow.id)
    ).all())  # fmt: skip
    return [tuple(row) for row in rows]


def _finished(url: str, dag_id: str, count: int) -> bool:
    runs = _runs(url, dag_id)
    return len(runs) >= count and all(state in ("success", "failed") for _, _, state in runs)


def _pushed(url: str, dag_id: str, run_id: str, task_id: str) -> object:
    text = query(url, lambda s: xcom.get(
        s, dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=-1, key="return_value"
    ))  # fmt: skip
    return json.loads(text)


def test_asset_conditions_trigger_runs_through_the_scheduler(
    url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "asset_dags.py").write_text(DAGS)
    scheduler = services(["scheduler"], service_env(url, tmp_path, folder))
    dags = ("produce_a", "produce_b", "on_both", "on_either")
    wait_until(lambda: all(dag_stored(url, d) for d in dags), timeout=60, what="the DAGs parsed", watch=[scheduler])

    first = trigger(url, "produce_a")
    wait_until(lambda: run_state(url, "produce_a", first) in ("success", "failed"), timeout=60,
               what="produce_a", watch=[scheduler])  # fmt: skip
    wait_until(lambda: _finished(url, "on_either", 1), timeout=60, what="on_either's run", watch=[scheduler])
    # on_both's condition was evaluated with the same queue that triggered on_either: a alone is not enough.
    assert _runs(url, "on_both") == []
    [(either_run, run_type, state)] = _runs(url, "on_either")
    assert (run_type, state) == ("asset_triggered", "success") and either_run.startswith("asset_triggered__")
    assert _pushed(url, "on_either", either_run, "note") == ["s3://lake/c"]
    assert _pushed(url, "on_either", either_run, "source") == first

    second = trigger(url, "produce_b")
    wait_until(lambda: _finished(url, "on_both", 1), timeout=60, what="on_both's run", watch=[scheduler])
    wait_until(lambda: _finished(url, "on_either", 2), timeout=60, what="on_either's second run", watch=[scheduler])
    assert run_state(url, "produce_b", second) == "success"
    [(both_run, run_type, state)] = _runs(url, "on_both")
    assert (run_type, state) == ("asset_triggered", "success")
    read = _pushed(url, "on_both", both_run, "read")
    assert isinstance(read, dict)
    read["s3://lake/a"].sort()  # the instances may end in either order
    assert read == {
        "s3://lake/a": [["produce_a", "part", 0, {}], ["produce_a", "part", 2, {}]],
        "s3://lake/b": [["produce_b", "write", -1, {"rows": 42}]],
    }
    assert _pushed(url, "on_both", both_run, "count") == "2"
    assert _pushed(url, "on_either", _runs(url, "on_either")[1][0], "note") == ["s3://lake/b"]
    assert query(url, lambda s: s.scalar(select(func.count()).select_from(AssetDagRunQueueRow))) == 0
    assert len(_runs(url, "on_both")) == 1
