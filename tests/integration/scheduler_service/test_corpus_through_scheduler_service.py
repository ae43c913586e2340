"""Every DAG of the corpus (tests/dags) runs through one real ``dagmap scheduler`` process with the
LocalExecutor, on SQLite and PostgreSQL: all runs triggered at once, each ending as its ``expect:`` says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from corpus_runs import CORPUS, check_all, trigger_all, unfinished
from service_harness import ServiceProcess, service_env, wait_until


def test_the_corpus_runs_through_the_scheduler_service(
    url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    expectations = trigger_all(url)
    scheduler = services(["scheduler"], service_env(url, tmp_path, CORPUS, DAGMAP__CORE__PARALLELISM="2"))
    wait_until(lambda: not unfinished(url), timeout=150, what="every corpus run to finish", watch=[scheduler])
    assert scheduler.stop() == 0
    assert check_all(url, expectations) == []
