"""``dagmap standalone`` on a fresh home: migrates SQLite, loads the DAGs folder, prints where things are and
how to trigger, runs a triggered run with the LocalExecutor, and stops on Ctrl-C (SIGINT) with exit 0."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

from service_harness import FAST, ServiceProcess, instances, run_state, scheduler_jobs, trigger, wait_until

from dagmap.config import reset_settings
from dagmap.store import db

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "dags"


def test_standalone_runs_a_triggered_dag_and_stops_on_ctrl_c(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    home = tmp_path / "home"
    folder = tmp_path / "dags"
    folder.mkdir()
    shutil.copy(EXAMPLES / "fan_out.py", folder)
    env = {**os.environ, **FAST, "DAGMAP_HOME": str(home), "DAGMAP__CORE__DAGS_FOLDER": str(folder)}
    env.pop("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", None)
    standalone = services(["standalone"], env, name="standalone")
    wait_until(lambda: "Stop: Ctrl-C" in standalone.log, timeout=60, what="the banner", watch=[standalone])
    url = f"sqlite:///{home / 'dagmap.db'}"
    for expected in (
        f"home:         {home}",
        f"database:     {url}",
        f"DAGs folder:  {folder}",
        f"task logs:    {home / 'logs'}",
        "DAGs:         fan_out",
        "dagmap dags trigger fan_out",
    ):
        assert expected in standalone.log
    run_id = trigger(url, "fan_out")
    wait_until(lambda: run_state(url, "fan_out", run_id) == "success", timeout=60, what="the run", watch=[standalone])
    assert {state for _, _, state, *_ in instances(url, "fan_out", run_id)} == {"success"}
    assert list((home / "logs" / "dag_id=fan_out").rglob("*.log"))
    standalone.signal(signal.SIGINT)
    assert standalone.wait(30) == 0
    assert "dagmap standalone stopped" in standalone.log
    assert [state for _, state, _ in scheduler_jobs(url)] == ["success"]
    db.dispose_engines()
    reset_settings()
