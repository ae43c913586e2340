"""``BashSensor`` (``airflow.sensors.bash``): done when a bash command exits with code 0."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from dagmap.errors import AirflowFailException
from dagmap.sensors.base import BaseSensorOperator

log = logging.getLogger("dagmap.task")


class BashSensor(BaseSensorOperator):
    """Runs ``bash_command`` in a temporary directory at each poke: exit code 0 is done. With
    ``retry_exit_code``, that code pokes again and any other non-zero code fails without retry; without it
    every non-zero code pokes again. ``env`` (when given) replaces the environment, as in Airflow."""

    template_fields: Sequence[str] = ("bash_command", "env")

    def __init__(
        self,
        *,
        bash_command: str,
        env: Mapping[str, str] | None = None,
        output_encoding: str = "utf-8",
        retry_exit_code: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code

    def poke(self, context: dict[str, Any]) -> bool:
        bash = shutil.which("bash") or "bash"
        env = dict(self.env) if self.env is not None else None
        with tempfile.TemporaryDirectory(prefix="dagmaptmp") as tmp:
            log.info("Running command: %s", self.bash_command)
            process = subprocess.run(
                [bash, "-c", self.bash_command], cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                check=False, start_new_session=True,
            )  # fmt: skip
        for line in process.stdout.decode(self.output_encoding, errors="backslashreplace").splitlines():
            log.info("%s", line)
        code = process.returncode
        log.info("Command exited with return code %s", code)
        if code == 0:
            return True
        if self.retry_exit_code is not None and code != self.retry_exit_code:
            raise AirflowFailException(f"Command exited with return code {code}")
        log.info("Non-zero return code: will poke again")
        return False
