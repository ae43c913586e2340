"""``TriggerDagRunOperator`` (``airflow.operators.trigger_dagrun``): queue a run of another DAG, optionally
waiting for it to end.

The run is created as ``dagmap dags trigger`` creates one (its conf checked against the DAG's params, its data
interval from the DAG's timetable); the scheduler runs it. The operator can be mapped, e.g.
``TriggerDagRunOperator.partial(task_id="t", trigger_dag_id="load").expand(conf=[{"day": 1}, {"day": 2}])``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dagmap.errors import DagDefinitionError, DagmapError, DagRunAlreadyExists, TaskSkipped
from dagmap.sdk.baseoperator import BaseOperator
from dagmap.states import DagRunState
from dagmap.timetables import coerce_datetime

log = logging.getLogger("dagmap.task")

sleep: Callable[[float], None] = time.sleep
"""The wait between two looks at the triggered run (a module attribute so that tests can replace it)."""

XCOM_RUN_ID = "trigger_run_id"
XCOM_LOGICAL_DATE = "trigger_logical_date_iso"
RUN_STATES = frozenset(state.value for state in DagRunState)


class DagRunTriggerFailed(DagmapError):
    """The triggered DAG run ended in a failed state."""


def _run_states(value: Iterable[Any] | None, default: str, name: str, task_id: str | None) -> list[str]:
    states = [default] if value is None else [str(getattr(state, "value", state)) for state in value]
    wrong = sorted(set(states) - RUN_STATES)
    if wrong:
        raise DagDefinitionError(
            f"{', '.join(map(repr, wrong))} is not a DAG run state (valid: {', '.join(sorted(RUN_STATES))})",
            task_id=task_id, argument=name,
        )  # fmt: skip
    return states


class TriggerDagRunOperator(BaseOperator):
    """Queues a manual run of ``trigger_dag_id`` with ``conf``, at ``logical_date`` (default: now) and with run
    id ``trigger_run_id`` (default ``manual__<logical date>``); pushes the run id (``trigger_run_id``) and the
    logical date (``trigger_logical_date_iso``).

    A run id that is taken fails the task, unless ``reset_dag_run`` (the run is cleared and runs again) or
    ``skip_when_already_exists`` (the task is skipped). ``fail_when_dag_is_paused`` fails instead of queueing
    a run that would wait for the DAG to be unpaused. With ``wait_for_completion`` the task looks at the run
    every ``poke_interval`` seconds until it is in ``allowed_states`` (default success) — or fails when it is
    in ``failed_states`` (default failed).
    """

    template_fields: Sequence[str] = ("trigger_dag_id", "trigger_run_id", "logical_date", "conf")
    template_fields_renderers = {"conf": "py"}
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict[str, Any] | None = None,
        logical_date: str | dt.datetime | None = None,
        execution_date: str | dt.datetime | None = None,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: float = 60,
        allowed_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        skip_when_already_exists: bool = False,
        fail_when_dag_is_paused: bool = False,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        task = self.task_id
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        if logical_date is None:
            logical_date = execution_date  # Airflow 2's name
        if logical_date is not None and not isinstance(logical_date, str | dt.datetime):
            raise DagDefinitionError(
                f"logical_date must be a string or a datetime, not {type(logical_date).__name__}",
                task_id=task, argument="logical_date",
            )  # fmt: skip
        self.logical_date = logical_date
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = float(poke_interval)
        self.allowed_states = _run_states(allowed_states, DagRunState.SUCCESS.value, "allowed_states", task)
        self.failed_states = _run_states(failed_states, DagRunState.FAILED.value, "failed_states", task)
        self.skip_when_already_exists = skip_when_already_exists
        self.fail_when_dag_is_paused = fail_when_dag_is_paused
        self.deferrable = deferrable
        if isinstance(conf, dict):  # a mapped or templated conf is checked when it is known
            self._check_conf(conf)

    def _check_conf(self, conf: Any) -> dict[str, Any]:
        if conf is None:
            return {}
        if not isinstance(conf, dict):
            raise DagmapError(f"conf must be a dict, not {type(conf).__name__}", task_id=self.task_id, argument="conf")
        try:
            json.dumps(conf)
        except (TypeError, ValueError) as error:
            raise DagDefinitionError(
                f"conf must be JSON-serializable: {error}", task_id=self.task_id, argument="conf"
            ) from None
        return conf

    def _logical_date(self) -> dt.datetime:
        value = self.logical_date
        if value is None:
            return dt.datetime.now(dt.UTC)
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                raise DagmapError(
                    f"logical_date {value!r} is not an ISO 8601 date", task_id=self.task_id, argument="logical_date"
                ) from None
        zone = self.dag.timezone if self.dag is not None else dt.UTC
        return coerce_datetime(value, zone)

    def execute(self, context: dict[str, Any]) -> None:
        ti = context["ti"]
        conf = self._check_conf(self.conf)
        dag_id = self.trigger_dag_id
        if self.fail_when_dag_is_paused and ti.dag_is_paused(dag_id):
            raise DagmapError(f"the DAG {dag_id!r} is paused", task_id=self.task_id)
        if self.deferrable:
            log.warning("deferrable=True is not supported by dagmap: the task waits in its worker slot")
        try:
            run = ti.trigger_dag_run(
                dag_id, run_id=self.trigger_run_id, logical_date=self._logical_date(), conf=conf,
                reset=self.reset_dag_run,
            )  # fmt: skip
        except DagRunAlreadyExists:
            if self.skip_when_already_exists:
                raise TaskSkipped(f"the run {self.trigger_run_id!r} of {dag_id!r} already exists") from None
            raise
        log.info("%s run %s of %s", "Cleared" if run.reset else "Triggered", run.run_id, dag_id)
        ti.xcom_push(XCOM_RUN_ID, run.run_id)
        if run.logical_date is not None:
            ti.xcom_push(XCOM_LOGICAL_DATE, run.logical_date.isoformat())
        if not self.wait_for_completion:
            return
        while True:
            state = ti.dag_run_state(dag_id, run.run_id)
            if state in self.failed_states:
                raise DagRunTriggerFailed(f"{dag_id} failed with failed state {state}", task_id=self.task_id)
            if state in self.allowed_states:
                log.info("%s finished with allowed state %s", dag_id, state)
                return
            log.info("Waiting for %s run %s to finish (now %s)", dag_id, run.run_id, state)
            sleep(self.poke_interval)
