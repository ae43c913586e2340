"""DAG-level callbacks: the scheduler records a request when a run of a DAG with a callback ends, a DAG file
processor (never the scheduler) calls it once in a child process, and nothing the callback does changes the
run. Also ``dags test``, which calls the callback in-process as Airflow's ``dag.test()`` does."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from service_harness import ServiceProcess, query, run_state, service_env, trigger, wait_until

from dagmap.dag_processing.callbacks import callback_log_path
from dagmap.services.dag_test import run_dag_test
from dagmap.store.queries import callbacks

DAGS = textwrap.dedent(
    """\
    import json, os, time
    from datetime import datetime, timedelta
    from dagmap import DAG, task

    OUT = os.environ["CALLBACK_OUT"]

    def record(kind):
        def callback(context):
            line = {
                "kind": kind, "pid": os.getpid(), "run_id": context["run_id"], "reason": context["reason"],
                "dag_id": context["dag"].dag_id, "dag_run": context["dag_run"].run_id,
                "ti": context["ti"].task_id, "ti_state": context["ti"].state, "ds": context["ds"],
            }
            with open(os.path.join(OUT, context["dag"].dag_id + ".jsonl"), "a") as stream:
                stream.write(json.dumps(line) + "\\n")
        return callback

    def explode(context):
        print("printed by the callback of", context["run_id"])
        raise ValueError("the callback exploded")

    def hang(context):
        time.sleep(3600)

    def leave(context):
        os._exit(3)

    @task
    def ok():
        return 1

    @task
    def fail():
        raise RuntimeError("the task failed")

    with DAG("cb_success", schedule=None, start_date=datetime(2024, 1, 1),
             on_success_callback=record("success"), on_failure_callback=record("failure")):
        ok() >> ok.override(task_id="last")()

    with DAG("cb_failure", schedule=None, start_date=datetime(2024, 1, 1),
             on_success_callback=record("success"), on_failure_callback=[record("failure"), record("second")]):
        ok() >> fail()

    with DAG("cb_raises", schedule=None, start_date=datetime(2024, 1, 1), on_success_callback=explode):
        ok()

    with DAG("cb_hangs", schedule=None, start_date=datetime(2024, 1, 1), on_success_callback=hang):
        ok()

    with DAG("cb_exits", schedule=None, start_date=datetime(2024, 1, 1), on_success_callback=leave):
        ok()

    with DAG("no_callbacks", schedule=None, start_date=datetime(2024, 1, 1)):
        ok()

    @task
    def slow():
        time.sleep(1.5)

    with DAG("cb_timeout", schedule=None, start_date=datetime(2024, 1, 1), dagrun_timeout=timedelta(seconds=1),
             on_failure_callback=record("failure")):
        slow() >> ok()
    """
)


def lines(out: Path, dag_id: str) -> list[dict[str, Any]]:
    path = out / f"{dag_id}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def requests(url: str, dag_id: str | None = None) -> list[tuple[str, str, bool, str | None, str, str | None]]:
    """``(dag_id, run_id, is_failure, reason, state, error)`` of every callback request."""
    rows = query(url, lambda s: callbacks.list_requests(s, dag_id=dag_id))
    return [(r.dag_id, r.run_id, r.is_failure, r.reason, r.state, r.error) for r in rows]


def finished(url: str, dag_id: str, count: int = 1) -> bool:
    found = requests(url, dag_id)
    return len(found) == count and all(state in ("success", "failed") for *_, state, _ in found)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "dags"
    path.mkdir()
    (path / "callback_dags.py").write_text(DAGS)
    (tmp_path / "out").mkdir()
    return path


def start(
    services: Callable[..., ServiceProcess], url: str, tmp_path: Path, folder: Path, *args: str, **env: str
) -> ServiceProcess:
    return services(
        list(args) or ["scheduler"],
        service_env(url, tmp_path, folder, CALLBACK_OUT=str(tmp_path / "out"), **env),
        name=args[0] if args else "scheduler",
    )


def test_the_scheduler_service_calls_each_dag_callback_once_in_the_dag_processor(
    url: str, tmp_path: Path, folder: Path, services: Callable[..., ServiceProcess]
) -> None:
    out = tmp_path / "out"
    scheduler = start(services, url, tmp_path, folder)
    wait_until(lambda: query(url, _stored_all), timeout=60, what="the DAGs parsed", watch=[scheduler])
    runs = {dag_id: trigger(url, dag_id) for dag_id in ("cb_success", "cb_failure", "cb_raises", "no_callbacks")}
    for dag_id in ("cb_success", "cb_failure", "cb_raises"):
        wait_until(lambda d=dag_id: finished(url, d), timeout=60, what=f"the callback of {dag_id}", watch=[scheduler])
    wait_until(lambda: run_state(url, "no_callbacks", runs["no_callbacks"]) == "success", timeout=60, what="run")
    # One more run through the whole loop: a callback already called is never called again.
    again = trigger(url, "no_callbacks")
    wait_until(lambda: run_state(url, "no_callbacks", again) == "success", timeout=60, what="the second run")

    success = lines(out, "cb_success")
    assert [(c["kind"], c["run_id"], c["reason"], c["dag_run"], c["ti"]) for c in success] == [
        ("success", runs["cb_success"], "success", runs["cb_success"], "last")
    ]
    assert success[0]["pid"] != scheduler.pid  # called in a DAG processor child, never in the scheduler
    failure = lines(out, "cb_failure")
    assert [(c["kind"], c["run_id"], c["reason"], c["ti"], c["ti_state"]) for c in failure] == [
        ("failure", runs["cb_failure"], "task_failure", "fail", "failed"),
        ("second", runs["cb_failure"], "task_failure", "fail", "failed"),
    ]
    assert requests(url, "cb_success") == [("cb_success", runs["cb_success"], False, "success", "success", None)]
    assert requests(url, "cb_failure") == [("cb_failure", runs["cb_failure"], True, "task_failure", "success", None)]

    # A callback that raises: the request fails with the error, the log has the output and the traceback,
    # and the run stays as it ended.
    [(_, _, _, _, state, error)] = requests(url, "cb_raises")
    assert state == "failed"
    assert error is not None and "the callback exploded" in error
    assert run_state(url, "cb_raises", runs["cb_raises"]) == "success"
    log = callback_log_path(tmp_path / "logs", "cb_raises", runs["cb_raises"]).read_text()
    assert f"printed by the callback of {runs['cb_raises']}" in log
    assert "ValueError: the callback exploded" in log
    assert run_state(url, "cb_failure", runs["cb_failure"]) == "failed"

    assert requests(url, "no_callbacks") == []  # a DAG without callbacks costs no request
    assert scheduler.alive
    assert scheduler.stop() == 0


def _stored_all(session: Any) -> bool:
    from dagmap.store.queries import serialized_dags

    return len(serialized_dags.spec_hashes(session, ["cb_success", "cb_failure", "cb_raises", "no_callbacks"])) == 4


def test_a_callback_that_hangs_or_exits_fails_its_request_and_the_processor_goes_on(
    sqlite_url: str, tmp_path: Path, folder: Path, services: Callable[..., ServiceProcess]
) -> None:
    scheduler = start(services, sqlite_url, tmp_path, folder, DAGMAP__CORE__DAG_FILE_PROCESSOR_TIMEOUT="4")
    wait_until(lambda: query(sqlite_url, _stored_all), timeout=60, what="the DAGs parsed", watch=[scheduler])
    hangs, exits = trigger(sqlite_url, "cb_hangs"), trigger(sqlite_url, "cb_exits")
    wait_until(lambda: finished(sqlite_url, "cb_exits"), timeout=60, what="the exiting callback", watch=[scheduler])
    wait_until(lambda: finished(sqlite_url, "cb_hangs"), timeout=60, what="the hanging callback", watch=[scheduler])
    [(*_, exit_state, exit_error)] = requests(sqlite_url, "cb_exits")
    assert (exit_state, exit_error) == ("failed", "the callback process exited with code 3 while running the callback")
    [(*_, hang_state, hang_error)] = requests(sqlite_url, "cb_hangs")
    assert hang_state == "failed"
    assert hang_error == "the callback took longer than 4s (core.dag_file_processor_timeout)"
    assert (run_state(sqlite_url, "cb_hangs", hangs), run_state(sqlite_url, "cb_exits", exits)) == ("success",) * 2
    log = callback_log_path(tmp_path / "logs", "cb_hangs", hangs).read_text()
    assert "callback failed: the callback took longer than 4s" in log
    # The processor still works: a new run's callback is called.
    run_id = trigger(sqlite_url, "cb_success")
    wait_until(lambda: finished(sqlite_url, "cb_success"), timeout=60, what="the next callback", watch=[scheduler])
    assert [c["run_id"] for c in lines(tmp_path / "out", "cb_success")] == [run_id]
    assert scheduler.stop() == 0


@pytest.mark.postgres
def test_several_dag_processors_call_each_callback_exactly_once(
    postgres_url: str, tmp_path: Path, folder: Path, services: Callable[..., ServiceProcess]
) -> None:
    url = postgres_url
    scheduler = start(services, url, tmp_path, folder, "scheduler", "--no-dag-processor")
    processors = [start(services, url, tmp_path, folder, "dag-processor")]
    wait_until(lambda: query(url, _stored_all), timeout=60, what="the DAGs parsed", watch=[scheduler, *processors])
    # The others start once the DAGs are stored: processors that store a new DAG at the same moment collide
    # on its ``dag`` row (a limitation of storing, not of callbacks).
    processors += [start(services, url, tmp_path, folder, "dag-processor") for _ in range(2)]
    watch = [scheduler, *processors]
    run_ids = [trigger(url, "cb_failure") for _ in range(8)]
    wait_until(lambda: finished(url, "cb_failure", 8), timeout=90, what="eight callbacks", watch=watch)
    called = lines(tmp_path / "out", "cb_failure")
    assert sorted(c["run_id"] for c in called if c["kind"] == "failure") == sorted(run_ids)
    assert sorted(c["run_id"] for c in called if c["kind"] == "second") == sorted(run_ids)
    assert {state for *_, state, _ in requests(url, "cb_failure")} == {"success"}
    assert all(p.alive for p in watch)


def test_dags_test_calls_the_dag_callback_in_process_at_the_end(
    url: str, tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setenv("CALLBACK_OUT", str(out))
    report = run_dag_test("cb_failure", dags_folder=folder)
    assert report.state == "failed"
    called = lines(out, "cb_failure")
    assert [(c["kind"], c["run_id"], c["reason"], c["ti"]) for c in called] == [
        ("failure", report.run_id, "task_failure", "fail"),
        ("second", report.run_id, "task_failure", "fail"),
    ]
    # Done here: no DAG processor calls it again.
    assert requests(url, "cb_failure") == [("cb_failure", report.run_id, True, "task_failure", "success", None)]
    # A run that outlives dagrun_timeout fails with Airflow's reason.
    report = run_dag_test("cb_timeout", dags_folder=folder)
    assert report.state == "failed"
    assert [(c["kind"], c["run_id"], c["reason"]) for c in lines(out, "cb_timeout")] == [
        ("failure", report.run_id, "timed_out")
    ]
    report = run_dag_test("no_callbacks", dags_folder=folder)
    assert report.state == "success"
    assert requests(url, "no_callbacks") == []


def test_a_callback_running_when_the_scheduler_stops_is_failed_not_rerun(
    sqlite_url: str, tmp_path: Path, folder: Path, services: Callable[..., ServiceProcess]
) -> None:
    scheduler = start(services, sqlite_url, tmp_path, folder)
    wait_until(lambda: query(sqlite_url, _stored_all), timeout=60, what="the DAGs parsed", watch=[scheduler])
    trigger(sqlite_url, "cb_hangs")

    def running() -> bool:
        return [state for *_, state, _ in requests(sqlite_url, "cb_hangs")] == ["running"]

    wait_until(running, timeout=60, what="the hanging callback to start", watch=[scheduler])
    assert scheduler.stop() == 0
    [(*_, state, error)] = requests(sqlite_url, "cb_hangs")
    assert (state, error) == ("failed", "the DAG processor stopped while the callback ran")
