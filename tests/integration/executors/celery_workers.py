"""Real ``dagmap celery worker`` processes for tests, each on its own queue names, stopped at the end.

A worker runs in its own session (process group) so that stopping it also stops its pool processes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CONTRACT_DIR = HERE.parents[1] / "unit" / "executors"
DAGMAP = str(Path(sys.executable).with_name("dagmap"))
REDIS_DB = random.Random().randrange(1, 16)
BROKERS = {
    "redis": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


@dataclass
class Worker:
    name: str
    broker_url: str
    prefix: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # its group only: the worker and its pool
            except ProcessLookupError:
                pass
        self.process.wait(10)


@dataclass
class CeleryWorkers:
    """Starts workers on demand; ``shared()`` reuses one per (broker, runner, queues, name)."""

    base: Path
    env: dict[str, str] = field(default_factory=dict)
    started: list[Worker] = field(default_factory=list)
    _shared: dict[tuple[str, ...], Worker] = field(default_factory=dict)

    def start(
        self,
        broker: str,
        runner: str | None,
        queues: list[str],
        *,
        prefix: str | None = None,
        concurrency: int = 2,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> Worker:
        prefix = prefix or f"t{uuid.uuid4().hex[:10]}_"
        name = f"{prefix}{len(self.started)}@localhost"
        log_path = self.base / f"{name}.log"
        command = [DAGMAP, "celery", "worker", "-q", ",".join(prefix + q for q in queues), "-c", str(concurrency)]
        command += ["-n", name, "-l", "INFO"] + (["--runner", runner] if runner else [])
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(CONTRACT_DIR), os.environ.get("PYTHONPATH", "")]),
            "DAGMAP_HOME": str(self.base / "home"),
            "DAGMAP__CELERY__BROKER_URL": BROKERS[broker],
            **self.env,
            **(env or {}),
        }
        environment.pop("DAGMAP__CELERY__RESULT_BACKEND", None)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name, BROKERS[broker], prefix, process, log_path)
        self.started.append(worker)
        if wait:
            wait_until_ready(worker)
        return worker

    def shared(self, broker: str, runner: str | None, queues: list[str], **kwargs: object) -> Worker:
        key = (broker, runner or "", *queues)
        if key not in self._shared:
            self._shared[key] = self.start(broker, runner, queues, **kwargs)  # type: ignore[arg-type]
        return self._shared[key]

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()
        delete_queues(self.started)


def wait_until_ready(worker: Worker, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while " ready." not in worker.log():
        if worker.process.poll() is not None:
            pytest.fail(f"celery worker {worker.name} exited with {worker.process.returncode}:\n{worker.log()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"celery worker {worker.name} not ready within {timeout} s:\n{worker.log()[-3000:]}")
        time.sleep(0.05)


def delete_queues(workers: list[Worker]) -> None:
    """Remove the queues (and on Redis the keys) these workers used."""
    from kombu import Connection

    prefixes = {(w.broker_url, w.prefix) for w in workers}
    for url, prefix in prefixes:
        if url.startswith("redis"):
            import redis

            client = redis.Redis.from_url(url)
            for key in client.scan_iter(match=f"*{prefix}*"):
                client.delete(key)
            for key in client.scan_iter(match="_kombu.binding.*"):  # e.g. the pidbox bindings of our workers
                if client.type(key) == b"set":
                    client.srem(key, *[m for m in client.smembers(key) if prefix.encode() in m] or [b""])
            for tag, payload in client.hscan_iter("unacked"):  # messages of workers killed mid-task
                if prefix.encode() in payload:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
            if client.keys("*") == [b"_kombu.binding_deadlines"]:  # kombu's bookkeeping, when nothing else is left
                client.delete(b"_kombu.binding_deadlines")
            client.close()
            continue
        with Connection(url) as connection:
            channel = connection.default_channel
            for queue in {q for w in workers if w.prefix == prefix for q in _queues_of(w)}:
                try:
                    channel.queue_delete(queue)
                except Exception:  # already gone
                    channel = connection.channel()


def _queues_of(worker: Worker) -> list[str]:
    args = worker.process.args
    assert isinstance(args, list)
    return str(args[args.index("-q") + 1]).split(",")
