"""TriggerDagRunOperator through a real ``dagmap scheduler``: mapped triggers that wait for their runs, a run
that fails, a taken run id (fail, skip, reset), a conf that does not match the target's params."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

from service_harness import ServiceProcess, dag_stored, instances, query, run_state, service_env, trigger, wait_until
from sqlalchemy import select

from dagmap.store.orm import DagRunRow
from dagmap.store.queries import dag_runs, xcom

DAGS = textwrap.dedent(
    """\
    from datetime import datetime
    from dagmap import DAG, Param, task
    from dagmap.operators.trigger_dagrun import TriggerDagRunOperator

    with DAG("target", schedule=None, start_date=datetime(2024, 1, 1),
             params={"n": Param(1, type="integer"), "fail": False}):
        @task
        def work(params=None):
            if params["fail"]:
                raise RuntimeError("asked to fail")
            return params["n"] * 10
        work()

    with DAG("controller", schedule=None, start_date=datetime(2024, 1, 1)):
        TriggerDagRunOperator.partial(
            task_id="fan", trigger_dag_id="target", wait_for_completion=True, poke_interval=0.2
        ).expand(conf=[{"n": 1}, {"n": 2}])
        TriggerDagRunOperator(task_id="failing", trigger_dag_id="target", conf={"fail": True},
                              wait_for_completion=True, poke_interval=0.2)
        TriggerDagRunOperator(task_id="bad_conf", trigger_dag_id="target", conf={"n": "many"})
        TriggerDagRunOperator(task_id="fire_and_forget", trigger_dag_id="target",
                              trigger_run_id="fixed__{{ dag_run.run_id }}", conf={"n": 7})

    with DAG("again", schedule=None, start_date=datetime(2024, 1, 1)):
        TriggerDagRunOperator(task_id="taken", trigger_dag_id="target", trigger_run_id="{{ dag_run.conf['run'] }}")
        TriggerDagRunOperator(task_id="skip", trigger_dag_id="target", trigger_run_id="{{ dag_run.conf['run'] }}",
                              skip_when_already_exists=True)
        TriggerDagRunOperator(task_id="reset", trigger_dag_id="target", trigger_run_id="{{ dag_run.conf['run'] }}",
                              reset_dag_run=True, wait_for_completion=True, poke_interval=0.2)
    """
)


def _states(url: str, dag_id: str, run_id: str) -> dict[tuple[str, int], str | None]:
    return {(task_id, index): state for task_id, index, state, *_ in instances(url, dag_id, run_id)}


def _finished(url: str, dag_id: str, run_id: str) -> bool:
    return run_state(url, dag_id, run_id) in ("success", "failed")


def test_trigger_dag_run_operator_through_the_scheduler(
    url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "trigger_dags.py").write_text(DAGS)
    # Two mapped triggers wait in their worker slots while their runs go: enough workers for both and the runs.
    env = service_env(url, tmp_path, folder, DAGMAP__CORE__PARALLELISM="4")
    scheduler = services(["scheduler"], env)
    wait_until(lambda: all(dag_stored(url, d) for d in ("target", "controller", "again")), timeout=60,
               what="the DAGs parsed", watch=[scheduler])  # fmt: skip
    run = trigger(url, "controller")
    wait_until(lambda: _finished(url, "controller", run), timeout=120, what="the controller run", watch=[scheduler])

    assert _states(url, "controller", run) == {
        ("fan", 0): "success",
        ("fan", 1): "success",
        ("failing", -1): "failed",
        ("bad_conf", -1): "failed",
        ("fire_and_forget", -1): "success",
    }
    rows = query(url, lambda s: s.execute(select(DagRunRow).where(DagRunRow.dag_id == "target")).scalars().all())
    runs = {r.run_id: (r.state, r.conf, r.run_type) for r in rows}
    for index, n in ((0, 1), (1, 2)):
        pushed = query(url, lambda s, i=index: xcom.get(
            s, dag_id="controller", run_id=run, task_id="fan", map_index=i, key="trigger_run_id"
        ))  # fmt: skip
        assert runs[json.loads(pushed)] == ("success", {"n": n}, "manual")
    failed = [conf for state, conf, _ in runs.values() if state == "failed"]
    assert failed == [{"fail": True}]
    assert f"fixed__{run}" in runs  # queued at once; the controller did not wait for it
    assert not any(conf == {"n": "many"} for _, conf, _ in runs.values())  # refused before any row was written
    log = tmp_path / "logs" / "dag_id=controller" / f"run_id={run}" / "task_id=bad_conf" / "map_index=-1"
    assert "'n'" in (log / "attempt=1.log").read_text()
    wait_until(lambda: _finished(url, "target", f"fixed__{run}"), timeout=60, what="the fixed run")

    # A run id that is taken: an error, a skip, or (reset_dag_run) the run cleared and run again.
    again = trigger(url, "again", conf={"run": f"fixed__{run}"})
    wait_until(lambda: _finished(url, "again", again), timeout=120, what="the second controller", watch=[scheduler])
    assert _states(url, "again", again) == {("taken", -1): "failed", ("skip", -1): "skipped", ("reset", -1): "success"}
    assert run_state(url, "target", f"fixed__{run}") == "success"
    history = query(url, lambda s: dag_runs.get_dag_run(s, "target", f"fixed__{run}").clear_number)
    assert history == 1
