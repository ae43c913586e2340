"""A scheduler with the CeleryExecutor and its ``dagmap celery worker`` processes, as tests deploy them: one
database, one DAGs folder, one broker and a Celery queue of their own; plus what a broker does with the
message of a worker killed mid-task. Needs tests/integration/{scheduler_service,executors} on ``sys.path``
(see conftest.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from celery_workers import BROKERS, CeleryWorkers, Worker, wait_until_ready
from service_harness import ServiceProcess, service_env

RECEIVED = re.compile(r"Task dagmap\.execute_workload\[([0-9a-f-]+)\] received")


@dataclass
class CeleryDeployment:
    """Every process gets the same settings: the database, the DAGs folder, the fast timeouts of the service
    harness, the broker, and ``celery.default_queue`` set to a queue no other test uses (every task of a DAG
    parsed with these settings goes there; the scheduler's executor has no queue prefix)."""

    url: str
    broker: str
    dags_folder: Path
    home: Path
    services: Callable[..., ServiceProcess]
    workers: CeleryWorkers
    prefix: str = field(default_factory=lambda: f"cs{uuid.uuid4().hex[:10]}_")
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def queue(self) -> str:
        return f"{self.prefix}default"

    @property
    def broker_url(self) -> str:
        return BROKERS[self.broker]

    def env(self) -> dict[str, str]:
        return service_env(
            self.url,
            self.home,
            self.dags_folder,
            DAGMAP__CORE__EXECUTOR="CeleryExecutor",
            DAGMAP__CELERY__BROKER_URL=self.broker_url,
            DAGMAP__CELERY__DEFAULT_QUEUE=self.queue,
            **self.extra,
        )

    def scheduler(self) -> ServiceProcess:
        return self.services(["scheduler"], self.env())

    def start_workers(self, count: int = 1) -> list[Worker]:
        """``count`` workers (one pool process each, the default runner: it heartbeats its tries) on this
        deployment's queue, started together and returned once all are ready."""
        env = self.env()
        started = [
            self.workers.start(self.broker, None, ["default"], prefix=self.prefix, concurrency=1, env=env, wait=False)
            for _ in range(count)
        ]
        for worker in started:
            wait_until_ready(worker)
        return started


def received(worker: Worker) -> list[str]:
    """The Celery task ids of the messages ``worker`` received, in order."""
    return RECEIVED.findall(worker.log())


def result_line(worker: Worker, task_id: str) -> str | None:
    """The worker's log line saying how the task ended (``... succeeded in 0.01s: None``), if it has."""
    for line in worker.log().splitlines():
        if f"[{task_id}]" in line and (" succeeded in " in line or " raised " in line):
            return line
    return None


def redeliver_unacked(deployment: CeleryDeployment) -> list[str]:
    """Put the messages that workers of ``deployment`` took and never acknowledged back on their queue, as
    Redis does once its visibility timeout (6 hours) has passed; returns their delivery tags."""
    import redis
    from kombu import Connection

    client = redis.Redis.from_url(deployment.broker_url)
    try:
        tags = [tag.decode() for tag, payload in client.hscan_iter("unacked") if deployment.prefix.encode() in payload]
    finally:
        client.close()
    with Connection(deployment.broker_url) as connection:
        qos = connection.default_channel.qos
        for tag in tags:
            qos.restore_by_tag(tag, leftmost=True)
    return tags
