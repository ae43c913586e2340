"""kill -9 of the scheduler in the middle of a 500-instance mapped run; a new scheduler finishes the run and
every instance succeeds exactly once (one successful try each in task_instance_history)."""

from __future__ import annotations

import signal
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from service_harness import (
    ServiceProcess,
    dag_stored,
    history,
    instances,
    live_job_of,
    run_state,
    scheduler_jobs,
    service_env,
    trigger,
    wait_until,
)

N = 500
DAG = textwrap.dedent(
    f"""
    import time
    from datetime import datetime
    from dagmap import dag, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1), max_active_tasks=64)
    def five_hundred():
        @task
        def work(x):
            time.sleep(0.01)
            return x

        work.expand(x=list(range({N})))

    five_hundred()
    """
)


def succeeded(url: str, run_id: str) -> int:
    return sum(1 for *_, state, _, _ in instances(url, "five_hundred", run_id) if state == "success")


def test_a_killed_scheduler_is_replaced_and_every_instance_succeeds_exactly_once(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    url = sqlite_url
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "five_hundred.py").write_text(DAG)
    env = service_env(url, tmp_path, folder)
    first = services(["scheduler"], env, name="first")
    wait_until(lambda: dag_stored(url, "five_hundred"), timeout=30, what="the DAG", watch=[first])
    run_id = trigger(url, "five_hundred")
    wait_until(lambda: succeeded(url, run_id) >= 100, timeout=60, what="100 instances", watch=[first])
    first_job = live_job_of(url, first.pid)
    first.signal(signal.SIGKILL)
    first.wait(10)
    done_at_kill = succeeded(url, run_id)
    assert done_at_kill < N  # killed mid-run

    second = services(["scheduler"], env, name="second")
    wait_until(lambda: run_state(url, "five_hundred", run_id) == "success", timeout=90, what="the run", watch=[second])
    rows = instances(url, "five_hundred", run_id)
    assert len(rows) == N
    assert Counter((state, tries) for _, _, state, tries, _ in rows) == {("success", 1): N}
    tries = history(url, "five_hundred", run_id)
    assert Counter(state for *_, state, _ in tries) == {"success": N}
    assert sorted(index for _, index, *_ in tries) == list(range(N))  # one try per instance
    assert second.stop() == 0
    assert (first_job, "failed", first.pid) in scheduler_jobs(url)  # found dead by the second scheduler
