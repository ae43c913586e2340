"""Fan-out benchmark: ``dags test`` of a DAG that maps a no-op task over N items, then reduces.

Prints seconds and peak memory per N. Each N runs in a fresh process on a fresh SQLite database (or the
database in DAGMAP__DATABASE__SQL_ALCHEMY_CONN). Usage: ``python bench/fanout.py [--outlet] [N ...]``; with
``--outlet`` the mapped task has an asset in its outlets (one asset event per instance, a DAG scheduled on it).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

DAG_FILE = textwrap.dedent(
    '''
    """Benchmark DAG: map a no-op over N items and sum the results."""
    import os
    from datetime import datetime

    from dagmap import DAG, Asset, dag, task

    N = int(os.environ["FANOUT_N"])
    OUTLETS = [Asset("bench://fanout")] if os.environ.get("FANOUT_OUTLET") else []

    with DAG("fanout_consumer", schedule=OUTLETS or None, start_date=datetime(2024, 1, 1)):
        @task
        def consume():
            pass
        consume()


    @dag(dag_id="fanout", start_date=datetime(2024, 1, 1), schedule=None)
    def fanout():
        @task
        def items():
            return list(range(N))

        @task(outlets=OUTLETS)
        def noop(x):
            return x

        @task
        def total(values):
            return sum(values)

        total(noop.expand(x=items()))


    fanout()
    '''
)


def run_one(n: int) -> dict[str, float | int | str]:
    from dagmap.config import reset_settings
    from dagmap.services.dag_test import run_dag_test

    home = Path(tempfile.mkdtemp(prefix="dagmap-bench-"))
    (home / "dags").mkdir()
    (home / "dags" / "fanout.py").write_text(DAG_FILE)
    os.environ["DAGMAP_HOME"] = str(home)
    os.environ["FANOUT_N"] = str(n)
    os.environ["DAGMAP__CORE__MAX_MAP_LENGTH"] = str(max(n, 1024))
    reset_settings()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if os.environ.get("FANOUT_OUTLET"):  # the consumer is stored, as the DAG processor would: events queue it
        from dagmap.model.from_sdk import dag_to_spec
        from dagmap.services.loading import find_dag
        from dagmap.store import db
        from dagmap.store.queries import serialized_dags

        db.migrate()
        with db.session_factory()() as session, session.begin():
            serialized_dags.upsert(session, dag_to_spec(find_dag("fanout_consumer", home / "dags")))
    report = run_dag_test("fanout")
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    total = next(ti.return_value for ti in report.task_instances if ti.task_id == "total")
    assert report.state == "success" and total == n * (n - 1) // 2, (report.state, total)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n": n,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "per_instance_ms": round(seconds / n * 1000, 3),
        "peak_mib": round(peak_mib, 1),
        "state": report.state,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--single":
        print(json.dumps(run_one(int(sys.argv[2]))))
        return
    arguments = sys.argv[1:]
    if "--outlet" in arguments:
        arguments.remove("--outlet")
        os.environ["FANOUT_OUTLET"] = "1"
    sizes = [int(arg) for arg in arguments] or [1000, 10000]
    print(f"{'N':>8} {'seconds':>9} {'cpu s':>7} {'ms/instance':>12} {'peak MiB':>9}")
    for n in sizes:
        output = subprocess.run(
            [sys.executable, __file__, "--single", str(n)], capture_output=True, text=True, check=False
        )
        if output.returncode != 0:
            print(output.stdout, output.stderr, file=sys.stderr)
            raise SystemExit(f"benchmark for N={n} failed")
        result = json.loads(output.stdout.strip().splitlines()[-1])
        print(
            f"{n:>8} {result['seconds']:>9} {result['cpu_seconds']:>7} {result['per_instance_ms']:>12} "
            f"{result['peak_mib']:>9}"
        )
    print("(wall seconds from run_dag_test's start to the run's end; cpu s = this process's CPU time)")


if __name__ == "__main__":
    main()
