"""PythonVirtualenvOperator, ExternalPythonOperator and their decorators for real: venvs made with the standard
library (one cached and shared by mapped instances), a requirement installed by pip, another interpreter, exit
codes that skip, errors that fail, context values that cannot cross. Through ``dagmap dags test``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parent / "dags"
DAGMAP = str(Path(sys.executable).with_name("dagmap"))


def test_callables_run_in_other_interpreters(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "DAGMAP_HOME": str(home), "EXTERNAL_PYTHON": sys._base_executable}
    env.pop("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", None)
    done = subprocess.run(
        [DAGMAP, "dags", "test", "virtualenv_tasks", "2024-01-02", "--dags-folder", str(DAGS), "--json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report = json.loads(done.stdout)
    results = {(ti["task_id"], ti["map_index"]): (ti["state"], ti["return_value"]) for ti in report["task_instances"]}
    state, fresh = results[("fresh", -1)]
    assert state == "success" and fresh["label"] == "fresh" and fresh["ds"] == "2024-01-02"
    assert fresh["prefix"] != sys.prefix and "dagmap-venv-" in fresh["prefix"]  # a venv of its own, then gone
    assert not Path(fresh["prefix"]).exists()
    assert results[("installs", -1)] == ("success", "six")
    assert [results[("square", i)] for i in range(3)] == [("success", 1), ("success", 4), ("success", 9)]
    assert results[("total", -1)] == ("success", 14)
    # One cached venv per set of settings: six's, the one the three square instances share, choose's.
    assert len(list((home / "venvs").glob("venv-*/bin/python"))) == 3
    state, external = results[("external", -1)]
    assert state == "success" and external["prefix"] == sys.base_prefix and external["ds"] == "2024-01-02"
    assert results[("skips", -1)] == ("skipped", None)
    assert results[("fails", -1)][0] == "failed"
    assert results[("refused", -1)][0] == "failed"
    assert results[("choose", -1)] == ("success", "chosen")
    assert results[("chosen", -1)] == ("success", "ran") and results[("other", -1)] == ("skipped", None)
    assert report["state"] == "failed" and done.returncode == 1

    logs = home / "logs" / "dag_id=virtualenv_tasks"
    (fails,) = logs.glob("run_id=*/task_id=fails/map_index=-1/attempt=1.log")
    assert "ValueError: broken in the venv" in fails.read_text()
    (skips,) = logs.glob("run_id=*/task_id=skips/map_index=-1/attempt=1.log")
    assert "about to leave" in skips.read_text()
    (refused,) = logs.glob("run_id=*/task_id=refused/map_index=-1/attempt=1.log")
    assert "the context value 'ti' cannot be passed to a function run in another interpreter" in refused.read_text()
