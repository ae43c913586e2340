"""Airflow's ``dag.test()``: a DAG file run as a script (``python my_dag.py``) runs one run in-process, as
``dagmap dags test`` does, and records it in the metadata database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

DAG_FILE = textwrap.dedent(
    """\
    from datetime import datetime

    from dagmap import DAG, task

    with DAG("script_dag", start_date=datetime(2024, 1, 1), schedule=None, params={"n": 2}) as dag:

        @task
        def numbers(params=None):
            return list(range(params["n"]))

        @task
        def double(x):
            return 2 * x

        @task
        def total(values):
            return sum(values)

        total(double.expand(x=numbers()))

    if __name__ == "__main__":
        report = dag.test(logical_date=datetime(2024, 3, 1), run_conf={"n": 4})
        print("RESULT", report.state, report.run_id)
    """
)


def test_a_dag_file_run_as_a_script_tests_its_dag(tmp_path: Path) -> None:
    path = tmp_path / "script_dag.py"
    path.write_text(DAG_FILE)
    env = {**os.environ, "DAGMAP_HOME": str(tmp_path / "home")}
    env.pop("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", None)
    done = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "dag.test(): script_dag ..." in lines
    assert "  double[3] success" in lines and "  total success" in lines
    assert "RESULT success manual__2024-03-01T00:00:00+00:00" in lines
    dagmap = str(Path(sys.executable).with_name("dagmap"))
    states = subprocess.run(
        [dagmap, "tasks", "states-for-dag-run", "script_dag", "manual__2024-03-01T00:00:00+00:00", "--json"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert states.returncode == 0, states.stderr
    found = {(row["task_id"], row["map_index"]): row["state"] for row in json.loads(states.stdout)}
    assert found == {
        ("numbers", -1): "success",
        **{("double", i): "success" for i in range(4)},
        ("total", -1): "success",
    }


def test_unsupported_arguments_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "script_dag.py"
    path.write_text(DAG_FILE.replace('run_conf={"n": 4}', 'conn_file_path="conns.yaml"'))
    env = {**os.environ, "DAGMAP_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "argument 'conn_file_path': dag.test(conn_file_path=...) is not supported" in done.stderr
