"""DAG files of the shared corpus (tests/dags) run through the real SchedulerLoop, the real runner and each
executor: LocalExecutor on SQLite and PostgreSQL, CeleryExecutor on PostgreSQL with Redis and RabbitMQ.
Each run must end exactly as its file's ``expect:`` block says; a worker dying mid-task is reported."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from celery_workers import CeleryWorkers
from corpus_simulator import parse_expect

from dagmap.config import reset_settings
from dagmap.dag_processing import load_dag_file
from dagmap.executors.base import Executor
from dagmap.executors.celery import CeleryExecutor
from dagmap.executors.local import LocalExecutor
from dagmap.model.from_sdk import dag_to_spec
from dagmap.model.keys import TaskInstanceKey
from dagmap.scheduler.loop import SchedulerLoop
from dagmap.services.dag_test import build_report
from dagmap.states import DagRunType
from dagmap.store import db
from dagmap.store.queries import dag_runs, serialized_dags, task_instances
from dagmap.store.runtime_client import DirectRuntimeClient
from dagmap.xcom.backends import xcom_storage_from_settings

CORPUS = Path(__file__).resolve().parents[2] / "dags"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
LOCAL_SQLITE = ["mapping_reducer", "mapping_task_group", "mapping_execution_timeout", "mapping_failed_instance"]
DYING_DAG = '''
"""A mapped task whose instance 1 kills its own process, as a segfault would."""
import os
from datetime import datetime

from dagmap import DAG, task

with DAG("dying_worker", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def work(x: int) -> int:
        if x == 1:
            os._exit(7)
        return x

    work.expand(x=[0, 1, 2])
'''
SLEEPY_DAG = '''
"""One task that records its process id in $DAGMAP_TEST_PID_DIR/<run_id>.pid, then sleeps until killed."""
import os
import time
from datetime import datetime
from pathlib import Path

from dagmap import DAG, get_current_context, task

with DAG("sleepy_worker", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def nap() -> None:
        run_id = get_current_context()["run_id"]
        (Path(os.environ["DAGMAP_TEST_PID_DIR"]) / f"{run_id}.pid").write_text(str(os.getpid()))
        time.sleep(60)

    nap()
'''

NAPPING_DAG = '''
"""Two mapped instances that take a second each."""
import time
from datetime import datetime

from dagmap import DAG, task

with DAG("napping", start_date=datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def nap(x: int) -> int:
        time.sleep(1.0)
        return x

    nap.expand(x=[0, 1])
'''


def configure(monkeypatch: pytest.MonkeyPatch, home: Path, url: str) -> None:
    monkeypatch.setenv("DAGMAP_HOME", str(home))
    monkeypatch.setenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", url)
    monkeypatch.setenv("DAGMAP__CORE__DAGS_FOLDER", str(CORPUS))
    reset_settings()
    db.migrate(url)


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'dagmap.db'}"
    configure(monkeypatch, tmp_path, url)
    yield url
    db.dispose_engines()
    reset_settings()


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    name = f"dagmap_executors_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    db.dispose_engines()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    configure(monkeypatch, tmp_path, postgres_database)
    yield postgres_database
    reset_settings()


def trigger(url: str, path: Path, conf: dict[str, object] | None = None) -> tuple[str, str]:
    (dag,) = load_dag_file(path).dags
    spec = dag_to_spec(dag)
    run_id = f"manual__{uuid.uuid4().hex[:8]}"
    with db.session_factory(url).begin() as session:
        serialized_dags.upsert(session, spec)
        dag_runs.create_dag_run(
            session, spec, run_id=run_id, logical_date=datetime.now(UTC), data_interval=None,
            run_type=DagRunType.MANUAL.value, conf=conf or {},
        )  # fmt: skip
    return spec.dag_id, run_id


def run_to_end(executor: Executor, url: str, path: Path, conf: dict[str, object] | None = None) -> tuple[str, str]:
    dag_id, run_id = trigger(url, path, conf)
    loop = SchedulerLoop(executor, url=url)
    try:
        loop.run_until_done([(dag_id, run_id)], timeout=60)
    finally:
        loop.close()
        executor.terminate()
    return dag_id, run_id


def assert_ends_as_expected(executor: Executor, url: str, dag_id: str) -> None:
    path = CORPUS / f"{dag_id}.py"
    expect = parse_expect(path.read_text().split('"""')[1])
    run_id = run_to_end(executor, url, path, expect.conf)[1]
    report = build_report(dag_id, run_id, DirectRuntimeClient(db.session_factory(url), xcom_storage_from_settings()))
    assert report.state == expect.run, [(ti.task_id, ti.map_index, ti.state) for ti in report.task_instances]
    found = {(ti.task_id, ti.map_index): ti for ti in report.task_instances}
    for expectation in expect.tasks:
        for position, index in enumerate(expectation.indexes or [-1]):
            ti = found[(expectation.task_id, index)]
            if expectation.state is not None:
                assert ti.state == expectation.state, (ti.task_id, index, ti.state)
            if expectation.values is not None and expectation.values[position] is not None:
                assert ti.return_value == expectation.values[position], (ti.task_id, index, ti.return_value)


@pytest.mark.parametrize("dag_id", LOCAL_SQLITE)
def test_local_executor_on_sqlite_runs_corpus_dags(sqlite_url: str, dag_id: str) -> None:
    assert_ends_as_expected(LocalExecutor(2), sqlite_url, dag_id)


def test_local_executor_runs_instances_in_its_workers_not_in_the_scheduler(sqlite_url: str) -> None:
    dag_id, run_id = run_to_end(LocalExecutor(2), sqlite_url, CORPUS / "mapping_literal_expand.py")
    with db.session_factory(sqlite_url)() as session:
        rows = task_instances.list_for_run(session, dag_id, run_id)
    pids = {row.pid for row in rows}
    assert {row.state for row in rows} == {"success"} and len(rows) == 4
    assert len(pids) <= 2 and os.getpid() not in pids


def test_a_worker_that_dies_mid_task_fails_its_instance_and_the_run_goes_on(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "dying_worker.py"
    path.write_text(DYING_DAG)
    dag_id, run_id = run_to_end(LocalExecutor(2), sqlite_url, path)
    with db.session_factory(sqlite_url)() as session:
        rows = {row.map_index: row for row in task_instances.list_for_run(session, dag_id, run_id)}
        run = dag_runs.get_dag_run(session, dag_id, run_id)
    assert {i: r.state for i, r in rows.items()} == {0: "success", 1: "failed", 2: "success"}
    assert run.state == "failed"


def test_local_executor_workers_heartbeat_their_running_tries(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGMAP__SCHEDULER__HEARTBEAT_INTERVAL", "0.1")
    reset_settings()
    path = tmp_path / "napping.py"
    path.write_text(NAPPING_DAG)
    dag_id, run_id = run_to_end(LocalExecutor(2), sqlite_url, path)
    with db.session_factory(sqlite_url)() as session:
        rows = task_instances.list_for_run(session, dag_id, run_id)
    for row in rows:
        assert row.state == "success" and row.start_date and row.last_heartbeat_at
        assert (row.last_heartbeat_at - row.start_date).total_seconds() >= 0.5, "beats while the try ran"


@pytest.mark.postgres
@pytest.mark.parametrize("dag_id", ["mapping_reducer", "mapping_retries"])
def test_local_executor_on_postgres_runs_corpus_dags(postgres_url: str, dag_id: str) -> None:
    assert_ends_as_expected(LocalExecutor(2), postgres_url, dag_id)


@pytest.fixture(params=["redis", "rabbitmq"])
def celery_on_postgres(
    request: pytest.FixtureRequest, postgres_url: str, celery_workers: CeleryWorkers
) -> Callable[[], CeleryExecutor]:
    env = {
        "DAGMAP__DATABASE__SQL_ALCHEMY_CONN": postgres_url,
        "DAGMAP__CORE__DAGS_FOLDER": str(CORPUS),
        "DAGMAP_TEST_PID_DIR": str(celery_workers.base),
        "DAGMAP__SCHEDULER__HEARTBEAT_INTERVAL": "0.1",
    }
    worker = celery_workers.shared(request.param, None, ["default"], env=env)

    def make() -> CeleryExecutor:
        return CeleryExecutor(16, broker_url=worker.broker_url, queue_prefix=worker.prefix)

    return make


@pytest.mark.postgres
@pytest.mark.parametrize("dag_id", ["mapping_reducer", "mapping_task_group"])
def test_celery_executor_on_postgres_runs_corpus_dags(
    celery_on_postgres: Callable[[], CeleryExecutor], postgres_url: str, dag_id: str
) -> None:
    assert_ends_as_expected(celery_on_postgres(), postgres_url, dag_id)


@pytest.mark.postgres
def test_celery_pool_process_killed_mid_task_redelivers_and_the_try_is_left_to_the_scheduler(
    celery_on_postgres: Callable[[], CeleryExecutor], postgres_url: str, celery_workers: CeleryWorkers, tmp_path: Path
) -> None:
    """acks_late + reject_on_worker_lost: the message is requeued and runs again; the runner finds the
    instance still ``running`` (the killed try) and does not start it: no event, the executor's slot frees,
    and the instance keeps the dead try for the scheduler's heartbeat check to end."""
    path = tmp_path / "sleepy_worker.py"
    path.write_text(SLEEPY_DAG)
    dag_id, run_id = trigger(postgres_url, path)
    pid_file = celery_workers.base / f"{run_id}.pid"
    executor = celery_on_postgres()
    loop = SchedulerLoop(executor, url=postgres_url)
    try:
        step_until(loop, (dag_id, run_id), pid_file.exists, "the task to start")
        step_until(loop, (dag_id, run_id), lambda: heartbeat_age(postgres_url, dag_id, run_id) > 0.3, "a heartbeat")
        victim = int(pid_file.read_text())
        os.kill(victim, signal.SIGKILL)
        events: list[int] = []
        step_until(
            loop, (dag_id, run_id), lambda: executor.open_slots == executor.parallelism, "the redelivery", events
        )
        assert sum(events) == 0
    finally:
        loop.close()
        executor.terminate()
    with db.session_factory(postgres_url)() as session:
        [row] = task_instances.list_for_run(session, dag_id, run_id)
    assert (row.state, row.try_number, row.pid) == ("running", 1, victim)
    assert TaskInstanceKey(dag_id, run_id, "nap") == (row.dag_id, row.run_id, row.task_id, row.map_index)


def heartbeat_age(url: str, dag_id: str, run_id: str) -> float:
    """Seconds between the start of the run's only try and its latest heartbeat."""
    with db.session_factory(url)() as session:
        [row] = task_instances.list_for_run(session, dag_id, run_id)
    if row.start_date is None or row.last_heartbeat_at is None:
        return 0.0
    return (row.last_heartbeat_at - row.start_date).total_seconds()


def step_until(
    loop: SchedulerLoop, run: tuple[str, str], done: Callable[[], bool], what: str, events: list[int] | None = None
) -> None:
    deadline = time.monotonic() + 45
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        result = loop.step([run])
        if events is not None:
            events.append(result.events)
        time.sleep(0.05)
