"""Scheduler + LocalExecutor benchmark: a DAG maps a no-op task over N items (default 10,000) and sums them.

One run goes through the real SchedulerLoop and the LocalExecutor's worker processes on a fresh SQLite
database (or DAGMAP__DATABASE__SQL_ALCHEMY_CONN). Prints end-to-end seconds and instances per second.
Usage: ``python bench/scheduler_local.py [N] [--workers W] [--queue-depth D] [--batch-size B]``.
"""

from __future__ import annotations

import argparse
import os
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


    @dag(dag_id="scheduler_local_bench", start_date=datetime(2024, 1, 1), schedule=None, max_active_tasks=N)
    def scheduler_local_bench():
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


    scheduler_local_bench()
    '''
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--queue-depth", type=int, default=None, help="LocalExecutor queue_depth (default: its own)")
    parser.add_argument("--batch-size", type=int, default=None, help="LocalExecutor batch_size (default: its own)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dagmap-bench-"))
    (home / "dags").mkdir()
    (home / "dags" / "bench.py").write_text(DAG_FILE)
    os.environ.update(DAGMAP_HOME=str(home), BENCH_N=str(args.n), DAGMAP__CORE__MAX_MAP_LENGTH=str(max(args.n, 1024)))

    from dagmap.config import get_settings, reset_settings
    from dagmap.executors.local import LocalExecutor
    from dagmap.model.from_sdk import dag_to_spec
    from dagmap.scheduler.loop import SchedulerLoop
    from dagmap.services.loading import find_dag
    from dagmap.states import DagRunState, DagRunType
    from dagmap.store import db
    from dagmap.store.queries import dag_runs, serialized_dags

    reset_settings()
    url = get_settings().sql_alchemy_conn
    db.migrate(url)
    spec = dag_to_spec(find_dag("scheduler_local_bench", home / "dags"))
    run_id = "manual__bench"
    with db.session_factory(url).begin() as session:
        serialized_dags.upsert(session, spec)
        dag_runs.create_dag_run(
            session, spec, run_id=run_id, logical_date=datetime.now(UTC), data_interval=None,
            run_type=DagRunType.MANUAL.value, conf={},
        )  # fmt: skip
    options = {} if args.batch_size is None else {"batch_size": args.batch_size}
    executor = LocalExecutor(args.workers, queue_depth=args.queue_depth, **options)
    loop = SchedulerLoop(executor, url=url)
    started = time.perf_counter()
    states = loop.run_until_done([(spec.dag_id, run_id)], timeout=600)
    seconds = time.perf_counter() - started
    loop.close()
    state = states[(spec.dag_id, run_id)]
    instances = args.n + 2
    print(
        f"instances={instances} workers={executor.parallelism} queue_depth={executor.queue_depth} "
        f"batch_size={executor.batch_size} "
        f"state={state.value} database={url.split(':')[0]}"
    )
    print(f"seconds={seconds:.2f} instances_per_second={instances / seconds:.0f}")
    if state is not DagRunState.SUCCESS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
