"""BashOperator: run a (templated) bash command in a subprocess; its last output line is the XCom."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any

from dagmap.errors import AirflowSkipException, DagmapError
from dagmap.sdk.baseoperator import BaseOperator

log = logging.getLogger("dagmap.task")


def _context_env(context: Mapping[str, Any]) -> dict[str, str]:
    """``AIRFLOW_CTX_*`` variables, as Airflow sets them for bash commands."""
    ti = context.get("ti")
    dag = context.get("dag")
    values = {
        "AIRFLOW_CTX_DAG_ID": getattr(dag, "dag_id", None) or getattr(ti, "dag_id", None),
        "AIRFLOW_CTX_TASK_ID": getattr(ti, "task_id", None),
        "AIRFLOW_CTX_RUN_ID": context.get("run_id"),
        "AIRFLOW_CTX_TRY_NUMBER": getattr(ti, "try_number", None),
        "AIRFLOW_CTX_LOGICAL_DATE": context.get("logical_date"),
        "AIRFLOW_CTX_EXECUTION_DATE": context.get("logical_date"),
    }
    return {name: v.isoformat() if hasattr(v, "isoformat") else str(v) for name, v in values.items() if v is not None}


class BashOperator(BaseOperator):
    """Runs ``bash -c bash_command`` in a temporary directory (or ``cwd``).

    Exit code ``skip_on_exit_code`` (default 99) skips the task; any other non-zero code fails it.
    """

    template_fields: Sequence[str] = ("bash_command", "env", "cwd")
    template_fields_renderers = {"bash_command": "bash", "env": "json"}
    template_ext: Sequence[str] = (".sh", ".bash")
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        bash_command: str,
        env: Mapping[str, str] | None = None,
        append_env: bool = False,
        output_encoding: str = "utf-8",
        skip_on_exit_code: int | Container[int] | None = 99,
        cwd: str | None = None,
        output_processor: Callable[[str], Any] = lambda output: output,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env
        self.output_encoding = output_encoding
        self.skip_on_exit_code = skip_on_exit_code
        self.cwd = cwd
        self.output_processor = output_processor
        self._process: subprocess.Popen[bytes] | None = None

    def get_env(self, context: Mapping[str, Any]) -> dict[str, str]:
        env = dict(os.environ) if self.env is None else dict(self.env)
        if self.env is not None and self.append_env:
            env = {**os.environ, **env}
        env.update(_context_env(context))
        return env

    def _skips(self, code: int) -> bool:
        codes = self.skip_on_exit_code
        if codes is None:
            return False
        return code == codes if isinstance(codes, int) else code in codes

    def execute(self, context: dict[str, Any]) -> Any:
        if not isinstance(self.bash_command, str) or not self.bash_command.strip():
            raise DagmapError("bash_command must be a non-empty string", task_id=self.task_id)
        if self.cwd is not None and not os.path.isdir(self.cwd):
            raise DagmapError(f"cwd {self.cwd!r} does not exist or is not a directory", task_id=self.task_id)
        bash = shutil.which("bash") or "bash"
        with tempfile.TemporaryDirectory(prefix="dagmaptmp") as tmp:
            code, last_line = self._run([bash, "-c", self.bash_command], self.cwd or tmp, self.get_env(context))
        if self._skips(code):
            raise AirflowSkipException(f"Bash command returned exit code {code}. Skipping.")
        if code != 0:
            raise DagmapError(
                f"Bash command failed. The command returned a non-zero exit code {code}.", task_id=self.task_id
            )
        return self.output_processor(last_line)

    def _run(self, command: list[str], cwd: str, env: dict[str, str]) -> tuple[int, str]:
        log.info("Running command: %s", command)
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True
        )
        self._process = process
        last_line = ""
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                last_line = raw.decode(self.output_encoding, errors="backslashreplace").rstrip("\n")
                log.info("%s", last_line)
            process.wait()
        except BaseException:  # timeout or kill: never leave the command running
            self.on_kill()
            raise
        finally:
            if process.stdout is not None:
                process.stdout.close()
        log.info("Command exited with return code %s", process.returncode)
        return process.returncode, last_line

    def on_kill(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # start_new_session: the group id is the pid
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
