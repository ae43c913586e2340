"""The database unavailable for a while (every connection cut, new ones refused) or its connections killed
(pg_terminate_backend): the scheduler logs, backs off, carries on, and the run completes."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from service_harness import (
    ServiceProcess,
    TcpProxy,
    dag_stored,
    instances,
    run_state,
    service_env,
    trigger,
    wait_until,
)
from sqlalchemy import create_engine, make_url, text

N = 60
DAG = textwrap.dedent(
    f"""
    import time
    from datetime import datetime, timedelta
    from dagmap import dag, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1))
    def outage():
        @task(retries=3, retry_delay=timedelta(0))
        def work(x):
            time.sleep(0.05)
            return x

        work.expand(x=list(range({N})))

    outage()
    """
)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    target = make_url(postgres_url)
    tcp = TcpProxy((target.host or "127.0.0.1", target.port or 5432))
    yield tcp
    tcp.cut()


def succeeded(url: str, run_id: str) -> int:
    return sum(1 for _, _, state, *_ in instances(url, "outage", run_id) if state == "success")


def start(url: str, scheduler_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]) -> ServiceProcess:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "outage.py").write_text(DAG)
    scheduler = services(["scheduler"], service_env(scheduler_url, tmp_path, folder))
    wait_until(lambda: dag_stored(url, "outage"), timeout=30, what="the DAG", watch=[scheduler])
    return scheduler


def test_the_scheduler_survives_the_database_going_away_and_the_run_completes(
    postgres_url: str, proxy: TcpProxy, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    through_proxy = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    scheduler = start(postgres_url, through_proxy, tmp_path, services)
    run_id = trigger(postgres_url, "outage")
    wait_until(lambda: succeeded(postgres_url, run_id) >= 5, timeout=30, what="5 instances", watch=[scheduler])
    proxy.cut()
    wait_until(lambda: scheduler.log.count("database unavailable") >= 3, timeout=30, what="retries", watch=[scheduler])
    assert succeeded(postgres_url, run_id) < N
    proxy.restore()
    wait_until(
        lambda: run_state(postgres_url, "outage", run_id) == "success", timeout=60, what="the run", watch=[scheduler]
    )
    assert {state for _, _, state, *_ in instances(postgres_url, "outage", run_id)} == {"success"}
    assert scheduler.stop() == 0


def test_connections_killed_by_the_server_are_survived(
    postgres_url: str, postgres_admin_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    scheduler = start(postgres_url, postgres_url, tmp_path, services)
    run_id = trigger(postgres_url, "outage")
    wait_until(lambda: succeeded(postgres_url, run_id) >= 5, timeout=30, what="5 instances", watch=[scheduler])
    database = make_url(postgres_url).database
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            killed = connection.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
                {"name": database},
            ).scalar_one()
    finally:
        admin.dispose()
    assert killed > 0
    wait_until(
        lambda: run_state(postgres_url, "outage", run_id) == "success", timeout=60, what="the run", watch=[scheduler]
    )
    assert scheduler.alive
    assert scheduler.stop() == 0
