"""Scheduler service benchmark: a DAG maps a no-op task over N items (default 10,000) and sums them; one run
goes through a real ``dagmap scheduler`` process (DAG file processor, LocalExecutor workers) on a fresh SQLite
database (or DAGMAP__DATABASE__SQL_ALCHEMY_CONN).

Prints the seconds from trigger to the run's success and instances per second.
Usage: ``python bench/scheduler_service.py [N] [--workers W] [--profile out.txt]`` (``--profile`` samples the
scheduler process with py-spy, which must be installed, and writes its top functions).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

DAG_FILE = textwrap.dedent(
    '''
    """Benchmark DAG: map a no-op over N items and sum the results."""
    import os
    from datetime import datetime

    from dagmap import dag, task

    N = int(os.environ["BENCH_N"])


    @dag(dag_id="scheduler_service_bench", start_date=datetime(2024, 1, 1), schedule=None, max_active_tasks=N)
    def scheduler_service_bench():
        @task
        def items():
            return list(range(N))

        @task
        def noop(x):
            return x

        @task
        def total(values):
            return sum(values)

        total(noop.expand(x=items()))


    scheduler_service_bench()
    '''
)
DAG_ID = "scheduler_service_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="LocalExecutor workers (default: one per core)")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the scheduler into this file")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dagmap-bench-"))
    (home / "dags").mkdir()
    (home / "dags" / "bench.py").write_text(DAG_FILE)
    env = {
        **os.environ,
        "DAGMAP_HOME": str(home),
        "BENCH_N": str(args.n),
        "DAGMAP__CORE__MAX_MAP_LENGTH": str(max(args.n, 1024)),
        "DAGMAP__CORE__DAGS_FOLDER": str(home / "dags"),
        "DAGMAP__CORE__EXECUTOR": "LocalExecutor",
        "DAGMAP__LOGGING__LEVEL": "WARNING",
    }
    if args.workers:
        env["DAGMAP__CORE__PARALLELISM"] = str(args.workers)
    os.environ.update(env)

    from dagmap.config import get_settings, reset_settings
    from dagmap.states import DagRunType
    from dagmap.store import db
    from dagmap.store.queries import dag_runs, serialized_dags

    reset_settings()
    url = get_settings().sql_alchemy_conn
    db.migrate(url)
    dagmap = str(Path(sys.executable).with_name("dagmap"))
    log = (home / "scheduler.log").open("wb")
    scheduler = subprocess.Popen([dagmap, "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT)
    profiler = None
    try:
        sessions = db.session_factory(url)
        while True:
            with sessions() as session:
                if serialized_dags.spec_hashes(session, [DAG_ID]):
                    break
            if scheduler.poll() is not None:
                raise SystemExit(f"the scheduler exited: see {home / 'scheduler.log'}")
            time.sleep(0.05)
        if args.profile:
            profile_file = args.profile.with_suffix(".raw")
            profiler = subprocess.Popen(
                ["py-spy", "record", "--pid", str(scheduler.pid), "--format", "raw", "-o", str(profile_file)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        started = time.perf_counter()
        with sessions.begin() as session:
            spec = serialized_dags.load(session, DAG_ID)
            dag_runs.create_dag_run(
                session, spec, run_id="manual__bench", logical_date=datetime.now(UTC), run_type=DagRunType.MANUAL
            )
        state = "queued"
        while state not in ("success", "failed"):
            time.sleep(0.05)
            with sessions() as session:
                state = dag_runs.get_dag_run(session, DAG_ID, "manual__bench").state
        seconds = time.perf_counter() - started
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(60)
        log.close()
    instances = args.n + 2
    print(f"instances={instances} workers={env.get('DAGMAP__CORE__PARALLELISM', os.cpu_count())} state={state}")
    print(f"seconds={seconds:.2f} instances_per_second={instances / seconds:.0f} database={url.split(':')[0]}")
    if args.profile:
        _summarize(args.profile.with_suffix(".raw"), args.profile)
        print(f"profile: {args.profile}")
    shutil.rmtree(home, ignore_errors=True)
    if state != "success":
        raise SystemExit(1)


def _summarize(raw: Path, out: Path) -> None:
    """Collapsed stacks -> the functions with the most samples (self and total)."""
    totals: dict[str, int] = {}
    selfs: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        number = int(count)
        samples += number
        frames = stack.split(";")
        for frame in set(frames):
            totals[frame] = totals.get(frame, 0) + number
        selfs[frames[-1]] = selfs.get(frames[-1], 0) + number
    lines = [f"samples={samples}", "--- total"]
    lines += [f"{n / samples:6.1%} {f}" for f, n in sorted(totals.items(), key=lambda i: -i[1])[:40]]
    lines += ["--- self"]
    lines += [f"{n / samples:6.1%} {f}" for f, n in sorted(selfs.items(), key=lambda i: -i[1])[:25]]
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
