"""Every DAG of the corpus (tests/dags) runs through one real ``dagmap scheduler`` with the CeleryExecutor
and two real ``dagmap celery worker`` processes: on PostgreSQL with Redis and with RabbitMQ, and on SQLite
(workers on the scheduler's machine) with Redis. Each run ends as its ``expect:`` block says."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from celery_deployment import CeleryDeployment, received
from corpus_runs import CORPUS, check_all, trigger_all, unfinished
from service_harness import wait_until

COMBINATIONS = [
    pytest.param("postgres", "redis", marks=pytest.mark.postgres, id="postgres-redis"),
    pytest.param("postgres", "rabbitmq", marks=pytest.mark.postgres, id="postgres-rabbitmq"),
    pytest.param("sqlite", "redis", id="sqlite-redis"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("database", "broker"), COMBINATIONS)
def test_the_corpus_runs_through_the_scheduler_service_and_celery_workers(
    database: str, broker: str, request: pytest.FixtureRequest, deploy: Callable[..., CeleryDeployment]
) -> None:
    url = str(request.getfixturevalue(f"{database}_url"))
    deployment = deploy(url, broker, CORPUS)
    expectations = trigger_all(url)
    scheduler = deployment.scheduler()
    workers = deployment.start_workers(2)
    wait_until(lambda: not unfinished(url), timeout=150, what="every corpus run to finish", watch=[scheduler])
    assert scheduler.stop() == 0
    assert check_all(url, expectations) == []
    assert all(received(worker) for worker in workers), "both workers ran tries"
