"""``dagmap tasks logs|render`` and ``dagmap dags show`` on SQLite and PostgreSQL, over corpus DAGs run with
``dagmap dags test`` first; ``tasks logs --follow`` against tries running in another process."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import manage_harness
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from dagmap.cli.main import app
from dagmap.model.keys import TaskInstanceKey
from dagmap.store.queries import tries

CORPUS = Path(__file__).resolve().parents[2] / "dags"
RUN = "manual__2024-01-01T00:00:00+00:00"
runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ran(folder: Path, *dag_ids: str) -> Path:
    """``folder`` with these corpus DAGs, each run once by ``dagmap dags test`` (logical date 2024-01-01)."""
    folder.mkdir(parents=True, exist_ok=True)
    for dag_id in dag_ids:
        shutil.copyfile(CORPUS / f"{dag_id}.py", folder / f"{dag_id}.py")
        code, _, err = invoke("dags", "test", dag_id, "2024-01-01", "--dags-folder", str(folder))
        assert code in (0, 1), err  # some corpus DAGs are meant to fail
    return folder


class Command:
    """``dagmap ...`` in a child process; its output lines are collected as they arrive."""

    started: list[Command] = []

    def __init__(self, *args: str) -> None:
        Command.started.append(self)
        code = "from dagmap.cli.main import main; main()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("out", self.process.stdout), ("err", self.process.stderr))
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str, stream: Any) -> None:
        for line in stream:
            self.lines.put((name, line))

    def _take(self, name: str, line: str) -> None:
        (self.out if name == "out" else self.err).append(line)

    def wait_for(self, text: str, *, timeout: float = 60) -> None:
        """Collect output lines until one (on stdout or stderr) contains ``text``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                name, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                pytest.fail(f"no {text!r} within {timeout}s; stdout {self.out}, stderr {self.err}")
            self._take(name, line)
            if text in line:
                return

    def finish(self, *, timeout: float = 60) -> int:
        """Wait for the process to end on its own; its exit code (the rest of its output is collected)."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"still running after {timeout}s; stdout {self.out}, stderr {self.err}")
        self.close()
        while not self.lines.empty():
            self._take(*self.lines.get())
        return code

    def close(self) -> None:
        """Stop the process if it still runs; close its pipes once their readers are done."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for reader in self.readers:
            reader.join(timeout=10)  # its pipe reached its end when the process exited
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    @property
    def stdout(self) -> str:
        return "".join(self.out)


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    yield
    while Command.started:
        Command.started.pop().close()


# --- tasks logs ------------------------------------------------------------------------------------------


def test_logs_of_one_mapped_instance(db_url: str, tmp_path: Path) -> None:
    ran(tmp_path / "dags", "mapping_failed_instance")
    code, out, err = invoke("tasks", "logs", "mapping_failed_instance", RUN, "divide", "--map-index", "1")
    assert code == 0, err
    assert "Starting mapping_failed_instance.divide[1] (manual__2024-01-01T00:00:00+00:00), try 1" in out
    assert "ZeroDivisionError: division by zero" in out
    assert "divide[1] (manual__2024-01-01T00:00:00+00:00) finished: failed" in out
    assert "try 1 of divide[1]" in err and "map_index=1/attempt=1.log" in err
    by_date = invoke(
        "tasks", "logs", "mapping_failed_instance", "2024-01-01", "divide", "--map-index", "1", "--try", "1"
    )
    assert by_date[:2] == (0, out)
    code, out, _ = invoke("tasks", "logs", "mapping_failed_instance", RUN, "divide", "--map-index", "0")
    assert code == 0 and "Returned value was: 10.0" in out and "ZeroDivisionError" not in out
    code, out, _ = invoke("tasks", "logs", "mapping_failed_instance", RUN, "reduce_all_done")
    assert code == 0 and "Returned value was: [10.0, 5.0]" in out


def test_logs_name_what_is_unknown(db_url: str, tmp_path: Path) -> None:
    ran(tmp_path / "dags", "mapping_failed_instance")
    dag = "mapping_failed_instance"
    code, out, err = invoke("tasks", "logs", dag, RUN, "divide")
    assert (code, out) == (2, "")
    assert "task 'divide': is mapped into 3 instances" in err and "--map-index (0-2)" in err
    cases = {
        ("no_such_dag", RUN, "divide"): "DAG 'no_such_dag'",
        (dag, "no_such_run", "divide"): "no run with run id or logical date 'no_such_run'",
        (dag, "2023-06-01", "divide"): "'2023-06-01'",
        (dag, RUN, "no_such_task"): "task 'no_such_task': no such task in the DAG",
        (dag, RUN, "divide", "--map-index", "7"): "has no map index 7 in run",
        (dag, RUN, "divide", "--map-index", "1", "--try", "2"): "has no try 2 in run",
        (dag, RUN, "divide", "--map-index", "1", "--try", "0"): "has no try 0 in run",
        (dag, RUN, "reduce_all_done", "--map-index", "0"): "it has only map index -1",
    }
    for args, message in cases.items():
        code, out, err = invoke("tasks", "logs", *args)
        assert (code, out) == (2, ""), args
        assert message in err, (args, err)


def test_logs_say_why_there_is_no_log(db_url: str, tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    ran(tmp_path / "dags", "mapping_failed_instance")
    dag = "mapping_failed_instance"
    code, out, err = invoke("tasks", "logs", dag, RUN, "reduce_default")
    assert (code, out) == (1, "") and "try 1 of reduce_default never ran: the instance is upstream_failed" in err
    code, _, err = invoke("tasks", "clear", dag, "-t", "^divide$", "--map-index", "1", "--no-downstream", "-y")
    assert code == 0, err
    code, out, _ = invoke("tasks", "logs", dag, RUN, "divide", "--map-index", "1")
    assert code == 0 and "ZeroDivisionError" in out  # the latest try is still try 1
    code, out, err = invoke("tasks", "logs", dag, RUN, "divide", "--map-index", "1", "--try", "2")
    assert (code, out) == (0, "")
    assert "try 2 of divide[1] has not started yet (the instance is waiting for its upstream tasks" in err
    key = TaskInstanceKey(dag, RUN, "divide", 1)
    with sessions.begin() as session:
        tries.make_runnable(session, key, pool="default_pool", queue="default", max_tries=1)
    code, out, err = invoke("tasks", "logs", dag, RUN, "divide", "--map-index", "1", "--try", "2")
    assert (code, out) == (0, "") and "try 2 of divide[1] has not started yet (the instance is scheduled)" in err
    with sessions.begin() as session:  # a worker starts try 2: it writes no file during its first second
        assert tries.start_tries(session, [key], hostname=socket.gethostname(), pid=1)[key].try_number == 2
    code, out, err = invoke("tasks", "logs", dag, RUN, "divide", "--map-index", "1")
    assert (code, out) == (0, "")
    assert "try 2 of divide[1] is running; its log is written once it has run for a second" in err
    found = re.search(r"\S+/attempt=\d+\.log", err)
    assert found is not None, err
    log = Path(found[0])
    assert log.name == "attempt=2.log" and not log.exists()


def test_follow_waits_for_the_next_try_and_ends_with_it(db_url: str, tmp_path: Path) -> None:
    folder = ran(tmp_path / "dags", "mapping_failed_instance")
    dag = "mapping_failed_instance"
    code, _, err = invoke("tasks", "clear", dag, "-t", "^divide$", "--map-index", "1", "--no-downstream", "-y")
    assert code == 0, err
    follower = Command("tasks", "logs", dag, RUN, "divide", "--map-index", "1", "--try", "2", "--follow")
    follower.wait_for("has not started yet")
    assert follower.process.poll() is None  # waiting for try 2, which cannot start before the run is driven
    assert manage_harness.drive(dag, RUN, folder) == {RUN: "failed"}
    assert follower.finish() == 0, follower.err
    assert "Starting mapping_failed_instance.divide[1] (manual__2024-01-01T00:00:00+00:00), try 2" in follower.stdout
    assert "ZeroDivisionError" in follower.stdout and follower.stdout.rstrip().endswith("finished: failed")


SLOW_DAG = """
import logging
import time
from datetime import datetime
from pathlib import Path

from dagmap import DAG, task

HERE = Path(__file__).parent
log = logging.getLogger("follow_slow")

with DAG("follow_slow", start_date=datetime(2024, 1, 1), schedule=None):

    @task
    def slow() -> str:
        (HERE / "started").touch()
        log.info("tick 0")
        time.sleep(1.2)  # past the log's spooling second: from here on the file is written as the try runs
        log.info("tick 1")
        deadline = time.monotonic() + 60
        while not (HERE / "gate").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        log.info("tick 2: the gate is open")
        return "done"

    slow()
"""


def test_follow_prints_lines_as_a_long_try_writes_them(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "follow_slow.py").write_text(SLOW_DAG)
    task = Command("tasks", "test", "follow_slow", "slow", "2024-01-01", "--dags-folder", str(folder))
    deadline = time.monotonic() + 60
    while not (folder / "started").exists():  # the try has started (and its instance is running)
        if task.process.poll() is not None or time.monotonic() > deadline:
            task.finish()
            pytest.fail(f"the try did not start: {task.err}")
        time.sleep(0.05)
    follower = Command("tasks", "logs", "follow_slow", "2024-01-01", "slow", "-f")
    follower.wait_for("tick 1")
    assert "tick 0" in follower.stdout and "tick 2" not in follower.stdout
    assert follower.process.poll() is None  # the try waits for the gate, so the follower must keep going
    (folder / "gate").touch()
    assert follower.finish() == 0, follower.err
    assert task.finish() == 0, task.err
    lines = follower.stdout.splitlines()
    assert [line.rsplit(" - ", 1)[1] for line in lines if "tick" in line] == [
        "tick 0",
        "tick 1",
        "tick 2: the gate is open",
    ]
    assert lines[-1].endswith("follow_slow.slow (manual__2024-01-01T00:00:00+00:00) finished: success")
    code, out, _ = invoke("tasks", "logs", "follow_slow", "2024-01-01", "slow")
    assert code == 0 and out == follower.stdout  # following printed the whole file, once


# --- tasks render ----------------------------------------------------------------------------------------


def fields(*args: str) -> dict[str, object]:
    code, out, err = invoke("tasks", "render", *args, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def test_render_a_mapped_instance_stored_and_now(db_url: str, tmp_path: Path) -> None:
    ran(tmp_path / "dags", "mapping_templated_fields")
    dag = "mapping_templated_fields"
    code, out, err = invoke("tasks", "render", dag, "echo", "2024-01-01", "--map-index", "2")
    assert code == 0, err
    assert f"echo[2] of {RUN}: as rendered when it ran" in err
    rule = "# " + "-" * 58
    assert f"{rule}\n# property: bash_command\n{rule}\necho 2 of $COUNT third\n" in out
    assert f"# property: env\n{rule}\n{{'COUNT': '3'}}\n" in out
    stored = fields(dag, "echo", RUN, "--map-index", "2")
    assert stored["source"] == "stored" and stored["run_id"] == RUN and stored["map_index"] == 2
    # A logical date without a run: rendered now from the DAG file; literal expansions are known.
    code, out, err = invoke("tasks", "render", dag, "echo", "2024-03-01", "--map-index", "2")
    assert code == 0, err
    assert "echo[2] of manual__2024-03-01T00:00:00+00:00: rendered now for a run that does not exist" in err
    assert "echo 2 of $COUNT third" in out and "{'COUNT': '3'}" in out
    code, _, err = invoke("tasks", "render", dag, "echo", "2024-03-01")
    assert code == 2 and "is mapped into 3 instances: choose an instance with --map-index (0-2)" in err
    code, _, err = invoke("tasks", "render", dag, "echo", "2024-03-01", "--map-index", "3")
    assert code == 2 and "has no map index 3 (it has 3: 0-2)" in err
    code, _, err = invoke("tasks", "render", dag, "echo", RUN)
    assert code == 2 and "is mapped into 3 instances" in err
    code, _, err = invoke("tasks", "render", dag, "no_such_task", RUN)
    assert code == 2 and "task 'no_such_task': no such task in the DAG" in err
    code, _, err = invoke("tasks", "render", dag, "echo", "not-a-run-or-date", "--map-index", "0")
    assert code == 2 and "no run with run id or logical date 'not-a-run-or-date'" in err


def test_render_resolves_mapped_arguments_from_upstream_xcom(db_url: str, tmp_path: Path) -> None:
    ran(tmp_path / "dags", "mapping_templated_fields")
    dag = "mapping_templated_fields"
    # keep_raw maps over raw_templates' result: values from XCom stay unrendered, partial ones are rendered.
    expected = {"templates_dict": None, "op_args": [], "op_kwargs": {"suffix": "1", "text": "{{ ti.map_index }}"}}
    assert fields(dag, "keep_raw", RUN, "--map-index", "1")["fields"] == expected
    code, _, err = invoke("tasks", "clear", dag, "-t", "^keep_raw$", "--no-downstream", "-y")
    assert code == 0, err
    now = fields(dag, "keep_raw", RUN, "--map-index", "1")
    assert (now["source"], now["fields"]) == ("rendered", expected)
    code, _, err = invoke("tasks", "render", dag, "keep_raw", "2024-03-01", "--map-index", "1")
    assert code == 2
    assert "cannot render yet: it needs a value 'raw_templates' pushes" in err and "does not exist yet" in err
    # Over a mapped upstream that has not pushed (no run yet): not mistaken for an empty expansion.
    code, _, err = invoke(
        "tasks", "render", "mapping_mapped_over_mapped", "second", "2024-03-01", "--map-index=0", "-S", str(CORPUS)
    )
    assert code == 2 and "cannot render yet: it needs a value 'first' pushes" in err
    code, _, err = invoke("tasks", "clear", dag, "-t", "^raw_templates$", "-y")  # its XCom goes
    assert code == 0, err
    code, _, err = invoke("tasks", "render", dag, "keep_raw", RUN, "--map-index", "1")
    assert code == 2 and f"run '{RUN}' has no such value from 'raw_templates' yet" in err


# --- dags show -------------------------------------------------------------------------------------------


def test_show_text_with_and_without_a_run(db_url: str, tmp_path: Path) -> None:
    folder = ran(tmp_path / "dags", "mapping_task_group", "mapping_failed_instance")
    for name in ("mapping_task_group", "mapping_failed_instance"):
        (folder / f"{name}.py").unlink()  # stored DAGs are shown without their files (no user code runs)
    code, out, err = invoke("dags", "show", "mapping_task_group", "--dags-folder", str(folder))
    assert code == 0, err
    assert out.splitlines()[1:] == [
        "numbers <@task>",
        "pipeline.check <@task> [in mapped group pipeline over numbers] <- numbers",
        "pipeline.label <@task> [in mapped group pipeline over numbers] <- numbers",
        "pipeline.scale <@task> [in mapped group pipeline over numbers] <- pipeline.check",
        "summary <@task> <- pipeline.scale",
        "summary_all_done <@task> [trigger_rule=all_done] <- pipeline.scale",
    ]
    assert out.startswith("DAG mapping_task_group (6 tasks, ")
    code, out, err = invoke("dags", "show", "mapping_failed_instance", "--run-id", "2024-01-01")
    assert code == 0, err
    assert out.splitlines()[1:] == [
        f"run {RUN}: failed",
        "divide <@task> [mapped over 3 literal values] | 2 success, 1 failed",
        "reduce_all_done <@task> [trigger_rule=all_done] <- divide | 1 success",
        "reduce_default <@task> <- divide | 1 upstream_failed",
    ]
    code, _, err = invoke("dags", "show", "mapping_failed_instance", "--run-id", "no_such_run")
    assert code == 2 and "'no_such_run'" in err
    code, _, err = invoke("dags", "show", "no_such_dag", "--dags-folder", str(folder))
    assert code == 2 and "no_such_dag" in err


def test_show_parses_a_dag_not_stored_yet(db_url: str) -> None:
    code, out, err = invoke("dags", "show", "mapping_expand_kwargs_upstream", "--dags-folder", str(CORPUS))
    assert code == 0, err
    assert "echo <BashOperator> [mapped with .expand_kwargs over make_commands] <- make_commands" in out
    code, out, _ = invoke("dags", "show", "mapping_cross_product", "--dags-folder", str(CORPUS))
    assert "multiply <@task> [mapped over x=3 literal values, y=2 literal values (cross product)]" in out
    code, out, _ = invoke("dags", "show", "mapping_task_group_expand_kwargs", "--dags-folder", str(CORPUS))
    assert "greet.shout <@task> [in mapped group greet with .expand_kwargs over 2 literal values]" in out


NODE = re.compile(r'^\s*"([^"]+)" \[(.*)\];$')
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)";$')


def test_show_dot(db_url: str, tmp_path: Path) -> None:
    ran(tmp_path / "dags", "mapping_task_group")
    code, out, err = invoke("dags", "show", "mapping_task_group", "--run-id", RUN, "--format", "dot")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == 'digraph "mapping_task_group" {' and lines[-1] == "}"
    assert out.count("{") == out.count("}")
    nodes = {m[1]: m[2] for line in lines if (m := NODE.match(line))}
    edges = {(m[1], m[2]) for line in lines if (m := EDGE.match(line))}
    assert set(nodes) == {
        "numbers",
        "pipeline.check",
        "pipeline.label",
        "pipeline.scale",
        "summary",
        "summary_all_done",
    }
    assert edges == {
        ("numbers", "pipeline.check"),
        ("numbers", "pipeline.label"),
        ("pipeline.check", "pipeline.scale"),
        ("pipeline.scale", "summary"),
        ("pipeline.scale", "summary_all_done"),
    }
    cluster = lines.index('  subgraph "cluster_pipeline" {')
    assert lines[cluster + 1] == '    label="pipeline\\n[mapped over numbers]"; style="rounded,dashed";'
    inside = lines[cluster + 2 : lines.index("  }", cluster)]
    assert sorted(NODE.match(line)[1] for line in inside) == ["pipeline.check", "pipeline.label", "pipeline.scale"]  # type: ignore[index]
    assert 'label="pipeline.check\\n@task\\n2 success, 1 failed"' in nodes["pipeline.check"]
    assert 'peripheries="2"' in nodes["pipeline.check"] and "peripheries" not in nodes["numbers"]
    assert 'fillcolor="#ff6347"' in nodes["pipeline.check"]  # failed wins the aggregate
    assert "[trigger_rule=all_done]\\n1 success" in nodes["summary_all_done"]
    code, plain, _ = invoke("dags", "show", "mapping_task_group", "--format", "dot")
    assert code == 0 and "success" not in plain and 'label="pipeline.check\\n@task"' in plain
