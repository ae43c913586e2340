"""REST API benchmark: how the endpoints the UI leans on answer when a DAG has runs of N mapped instances.

A fresh home (SQLite, or DAGMAP__DATABASE__SQL_ALCHEMY_CONN) gets R runs (default 3) of a DAG that maps a no-op
over N items (default 10,000) through ``dagmap dags test``; then a real ``dagmap api-server`` process answers
each request K times (default 20) over HTTP. Prints the median and the slowest time per endpoint, and the size
of the answer. Usage: ``python bench/api.py [N] [--runs R] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import quote

import httpx

DAG_FILE = textwrap.dedent(
    '''
    """API benchmark DAG: map a no-op over N items and sum the results."""
    import os
    from datetime import datetime

    from dagmap import dag, task

    N = int(os.environ["BENCH_N"])


    @dag(dag_id="api_bench", start_date=datetime(2024, 1, 1), schedule=None)
    def api_bench():
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


    api_bench()
    '''
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"api-server exited with {server.returncode}")
        try:
            if client.get("/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("api-server did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    dagmap = str(Path(sys.executable).with_name("dagmap"))
    home = Path(tempfile.mkdtemp(prefix="dagmap-bench-api-"))
    dags = home / "dags"
    dags.mkdir()
    (dags / "api_bench.py").write_text(DAG_FILE)
    env = {
        **os.environ,
        "DAGMAP_HOME": str(home),
        "DAGMAP__CORE__DAGS_FOLDER": str(dags),
        "DAGMAP__CORE__MAX_MAP_LENGTH": str(max(args.n, 1024)),
        "BENCH_N": str(args.n),
    }
    server = None
    try:
        started = time.perf_counter()
        for day in range(1, args.runs + 1):
            logical_date = f"2024-01-{day:02d}"
            subprocess.run([dagmap, "dags", "test", "api_bench", logical_date, "--json"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        print(f"{args.runs} runs of {args.n} mapped instances made in {time.perf_counter() - started:.1f} s")
        port = _free_port()
        server = subprocess.Popen([dagmap, "api-server", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            _wait_up(client, server)
            runs = client.get("/api/v1/dags/api_bench/dagRuns").json()["dag_runs"]
            run = quote(runs[0]["dag_run_id"], safe="")
            base = f"/api/v1/dags/api_bench/dagRuns/{run}/taskInstances"
            last = max(args.n - 100, 0)
            requests = {
                "dags list": "/api/v1/dags",
                "dags list, 8 latest runs each": "/api/v1/dags?with_latest_runs=8",
                f"grid ({args.runs} runs)": "/api/v1/dags/api_bench/grid",
                "graph with a run's counts": f"/api/v1/dags/api_bench/graph?dag_run_id={run}",
                "run's instances, first 100": f"{base}?limit=100",
                f"run's instances, offset {last}": f"{base}?limit=100&offset={last}",
                "listMapped, first 100": f"{base}/noop/listMapped?limit=100",
                f"listMapped, offset {last}": f"{base}/noop/listMapped?limit=100&offset={last}",
                "listMapped, state=failed (none)": f"{base}/noop/listMapped?limit=100&state=failed",
                "one mapped instance": f"{base}/noop/{args.n // 2}",
                "its tries": f"{base}/noop/{args.n // 2}/tries",
                "its XCom": f"{base}/noop/xcomEntries?map_index={args.n // 2}",
                "its log": f"{base}/noop/logs/1?map_index={args.n // 2}",
            }
            print(f"{'request':<34} {'median ms':>10} {'max ms':>8} {'bytes':>8}")
            for name, path in requests.items():
                times = []
                size = 0
                for _ in range(args.repeat):
                    begin = time.perf_counter()
                    answer = client.get(path)
                    times.append((time.perf_counter() - begin) * 1000)
                    if answer.status_code != 200:
                        raise SystemExit(f"{name}: {path} answered {answer.status_code}: {answer.text[:300]}")
                    size = len(answer.content)
                print(f"{name:<34} {statistics.median(times):>10.1f} {max(times):>8.1f} {size:>8}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
