"""``dagmap dags test`` leaves without the interpreter's native teardown (where libraries such as Arrow or
LightGBM can abort after the work is done), but only after what Python code expects at exit: other threads
finish, atexit handlers run, output is flushed, and the exit code says how the run ended."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

DAG_FILE = textwrap.dedent(
    """\
    import atexit
    import os
    import threading
    import time
    from datetime import datetime

    from dagmap import DAG, task

    OUT = os.environ["LEAVE_OUT"]

    with DAG("leaves", start_date=datetime(2024, 1, 1), schedule=None):

        @task
        def work(fail=False):
            def late():
                time.sleep(0.5)
                with open(os.path.join(OUT, "thread"), "w") as stream:
                    stream.write("finished")

            threading.Thread(target=late).start()  # not a daemon: a normal exit waits for it
            atexit.register(lambda: open(os.path.join(OUT, "atexit"), "w").write("ran"))
            if os.environ.get("LEAVE_FAIL"):
                raise RuntimeError("asked to fail")
            return 1

        work()
    """
)


def _run(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    dags = tmp_path / "dags"
    dags.mkdir(exist_ok=True)
    (dags / "leaves.py").write_text(DAG_FILE)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    env = {**os.environ, "DAGMAP_HOME": str(tmp_path / "home"), "LEAVE_OUT": str(out), **extra}
    env.pop("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", None)
    dagmap = str(Path(sys.executable).with_name("dagmap"))
    command = [dagmap, "dags", "test", "leaves", "--dags-folder", str(dags), "--json"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_threads_and_atexit_handlers_finish_before_the_process_leaves(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"state": "success"' in done.stdout
    assert (tmp_path / "out" / "thread").read_text() == "finished"
    assert (tmp_path / "out" / "atexit").read_text() == "ran"


def test_a_failed_run_still_exits_1(tmp_path: Path) -> None:
    done = _run(tmp_path, LEAVE_FAIL="1")
    assert done.returncode == 1, done.stderr
    assert '"state": "failed"' in done.stdout
    assert (tmp_path / "out" / "thread").read_text() == "finished"
