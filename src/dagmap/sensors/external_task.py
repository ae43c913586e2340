"""``ExternalTaskSensor`` and ``ExternalTaskMarker`` (``airflow.sensors.external_task``): wait for another DAG.

The sensor waits until, at the same logical date as its own run (or the dates ``execution_delta`` /
``execution_date_fn`` give), another DAG's run — or some of its tasks, or a task group — is in an allowed state.
It reads the metadata database through the task instance (``ti.external_states``): one grouped query per poke,
however many mapped instances the external tasks have.

A mapped external task counts as "in an allowed state" at a date once every one of its instances is (Airflow
counts instances, so a mapped task with more than one instance never satisfies its sensor), as "failed" as
soon as one instance is in a failed state and as "skipped" as soon as one is in a skipped state.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from dagmap.errors import (
    DagDefinitionError,
    DagmapError,
    DuplicateStateError,
    ExternalDagDeletedError,
    ExternalDagFailedError,
    ExternalDagNotFoundError,
    ExternalTaskFailedError,
    ExternalTaskGroupFailedError,
    ExternalTaskGroupNotFoundError,
    ExternalTaskNotFoundError,
    TaskSkipped,
)
from dagmap.operators.empty import EmptyOperator
from dagmap.sensors.base import BaseSensorOperator
from dagmap.states import DagRunState, TaskInstanceState

log = logging.getLogger("dagmap.task")

TASK_STATES = frozenset(state.value for state in TaskInstanceState)
RUN_STATES = frozenset(state.value for state in DagRunState)


def _states(value: Iterable[Any] | None, default: Collection[str]) -> list[str]:
    if value is None:
        return list(default)
    if isinstance(value, str):
        return [value]
    return [str(getattr(state, "value", state)) for state in value]


class ExternalTaskSensor(BaseSensorOperator):
    """Waits for a run of ``external_dag_id`` (``external_task_id`` / ``external_task_ids`` /
    ``external_task_group_id`` None), some of its tasks, or one of its task groups, to be in ``allowed_states``
    (default ``["success"]``) at the logical date of this run, ``execution_delta`` earlier (a positive
    timedelta looks back), or at the dates ``execution_date_fn(logical_date, **context)`` returns.

    Anything in ``failed_states`` fails the sensor (skips it with ``soft_fail``); anything in ``skipped_states``
    skips it. ``check_existence=True`` fails at the first poke when the DAG, its file, a task or the group
    does not exist.
    """

    template_fields: Sequence[str] = (
        "external_dag_id",
        "external_task_id",
        "external_task_ids",
        "external_task_group_id",
    )
    ui_color = "#4db7db"

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str | None = None,
        external_task_ids: Collection[str] | None = None,
        external_task_group_id: str | None = None,
        allowed_states: Iterable[str] | None = None,
        skipped_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        execution_delta: dt.timedelta | None = None,
        execution_date_fn: Callable[..., Any] | None = None,
        check_existence: bool = False,
        poll_interval: float = 2.0,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        task = self.task_id
        self.allowed_states = _states(allowed_states, [DagRunState.SUCCESS.value])
        self.skipped_states = _states(skipped_states, [])
        self.failed_states = _states(failed_states, [])
        every = self.allowed_states + self.skipped_states + self.failed_states
        if len(every) != len(set(every)):
            raise DuplicateStateError(
                "a state is in more than one of allowed_states, skipped_states and failed_states "
                f"({self.allowed_states}, {self.skipped_states}, {self.failed_states})",
                task_id=task, argument="allowed_states",
            )  # fmt: skip
        if external_task_id is not None and external_task_ids is not None:
            raise DagDefinitionError(
                "give external_task_id or external_task_ids, not both", task_id=task, argument="external_task_ids"
            )
        if external_task_id is not None:
            external_task_ids = [external_task_id]
        if external_task_group_id is not None and external_task_ids is not None:
            raise DagDefinitionError(
                "give external_task_group_id or external task ids, not both",
                task_id=task, argument="external_task_group_id",
            )  # fmt: skip
        if external_task_ids is not None:
            if isinstance(external_task_ids, str):
                raise DagDefinitionError(
                    "external_task_ids must be a collection of task ids, not a string",
                    task_id=task, argument="external_task_ids",
                )  # fmt: skip
            external_task_ids = list(external_task_ids)
            if len(external_task_ids) != len(set(external_task_ids)):
                raise DagDefinitionError(
                    f"duplicate task ids in external_task_ids {external_task_ids}",
                    task_id=task, argument="external_task_ids",
                )  # fmt: skip
        for_tasks = external_task_ids is not None or external_task_group_id is not None
        valid, what = (TASK_STATES, "task instance") if for_tasks else (RUN_STATES, "DAG run")
        wrong = sorted(set(every) - valid)
        if wrong:
            raise DagDefinitionError(
                f"{', '.join(map(repr, wrong))} is not a {what} state (valid: {', '.join(sorted(valid))})",
                task_id=task, argument="allowed_states",
            )  # fmt: skip
        if execution_delta is not None and execution_date_fn is not None:
            raise DagDefinitionError(
                "give execution_delta or execution_date_fn, not both", task_id=task, argument="execution_date_fn"
            )
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = external_task_ids
        self.external_task_group_id = external_task_group_id
        self.execution_delta = execution_delta
        self.execution_date_fn = execution_date_fn
        self.check_existence = check_existence
        self.poll_interval = poll_interval
        self.deferrable = deferrable
        self._has_checked_existence = False

    # --- which dates and tasks ------------------------------------------------------------------------------
    def logical_dates(self, context: dict[str, Any]) -> list[dt.datetime]:
        logical_date = context.get("logical_date")
        if logical_date is None:
            raise ExternalTaskNotFoundError("ExternalTaskSensor needs a run with a logical date", task_id=self.task_id)
        if self.execution_delta is not None:
            found: Any = logical_date - self.execution_delta
        elif self.execution_date_fn is not None:
            found = _call_with_context(self.execution_date_fn, logical_date, context)
        else:
            found = logical_date
        dates = found if isinstance(found, list | tuple) else [found]
        for date in dates:
            if not isinstance(date, dt.datetime) or date.tzinfo is None:
                raise DagDefinitionError(
                    f"execution_date_fn must return time-zone-aware datetimes, not {date!r}",
                    task_id=self.task_id, argument="execution_date_fn",
                )  # fmt: skip
        return [date.astimezone(dt.UTC) for date in dates]

    def poke(self, context: dict[str, Any]) -> bool:
        ti = context["ti"]
        dates = self.logical_dates(context)
        task_ids = list(self.external_task_ids) if self.external_task_ids is not None else None
        target = f"DAG {self.external_dag_id!r}"
        if task_ids is not None:
            target = f"tasks {task_ids} of {target}"
        elif self.external_task_group_id is not None:
            target = f"task group {self.external_task_group_id!r} of {target}"
        log.info("Poking for %s at %s", target, ", ".join(date.isoformat() for date in dates))
        if self.check_existence and not self._has_checked_existence:
            self._check_existence(ti)
            self._has_checked_existence = True
        if self.external_task_group_id is not None:
            task_ids = self._group_task_ids(ti)
            if not task_ids:
                log.info("The task group %r has no tasks (yet)", self.external_task_group_id)
                return False
        states = ti.external_states(self.external_dag_id, dates, task_ids)
        if task_ids is None:
            return self._decide([[states.runs.get(date)] for date in dates], target, ExternalDagFailedError)
        failure = ExternalTaskGroupFailedError if self.external_task_group_id is not None else ExternalTaskFailedError
        per_pair = []
        for date in dates:
            for task_id in task_ids:
                counts = states.instances.get((date, task_id), {})
                per_pair.append([state for state, count in counts.items() if count] or [None])
        return self._decide(per_pair, target, failure)

    def _decide(self, groups: list[list[str | None]], target: str, failure: type[DagmapError]) -> bool:
        """``groups``: the states seen, one list per (date, task) or per date. Failed wins over skipped, which
        wins over "not yet"; done when every group is wholly in the allowed states."""
        seen = {state for group in groups for state in group if state is not None}
        if seen & set(self.failed_states):
            message = f"{target} is in a failed state ({', '.join(sorted(seen & set(self.failed_states)))})"
            if self.soft_fail:
                raise TaskSkipped(message)
            raise failure(message, task_id=self.task_id)
        if seen & set(self.skipped_states):
            raise TaskSkipped(f"{target} is in a skipped state ({', '.join(sorted(seen & set(self.skipped_states)))})")
        allowed = set(self.allowed_states)
        return all(group and all(state in allowed for state in group) for group in groups)

    def _check_existence(self, ti: Any) -> None:
        found = ti.external_dag(self.external_dag_id)
        if found is None:
            raise ExternalDagNotFoundError(
                f"the external DAG {self.external_dag_id!r} does not exist", task_id=self.task_id
            )
        if not os.path.exists(found.fileloc):
            raise ExternalDagDeletedError(
                f"the file {found.fileloc} of the external DAG {self.external_dag_id!r} does not exist",
                task_id=self.task_id,
            )
        for task_id in self.external_task_ids or ():
            if task_id not in found.task_groups:
                raise ExternalTaskNotFoundError(
                    f"the external task {task_id!r} does not exist in DAG {self.external_dag_id!r}",
                    task_id=self.task_id,
                )
        group = self.external_task_group_id
        if group is not None and not _in_group(found.task_groups, group):
            raise ExternalTaskGroupNotFoundError(
                f"the external task group {group!r} does not exist in DAG {self.external_dag_id!r}",
                task_id=self.task_id,
            )

    def _group_task_ids(self, ti: Any) -> list[str]:
        found = ti.external_dag(self.external_dag_id)
        return [] if found is None else _in_group(found.task_groups, str(self.external_task_group_id))


def _in_group(task_groups: dict[str, str | None], group_id: str) -> list[str]:
    """The tasks inside ``group_id`` or a group nested in it."""
    return [
        task_id
        for task_id, inner in task_groups.items()
        if inner is not None and (inner == group_id or inner.startswith(group_id + "."))
    ]


def _call_with_context(function: Callable[..., Any], logical_date: dt.datetime, context: dict[str, Any]) -> Any:
    """Airflow calls ``execution_date_fn(logical_date, **context)`` with only the context keys it accepts."""
    parameters = list(inspect.signature(function).parameters.values())
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return function(logical_date, **context)
    names = {p.name for p in parameters[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return function(logical_date, **{key: value for key, value in context.items() if key in names})


class ExternalTaskMarker(EmptyOperator):
    """Marks that clearing this task should also clear ``external_task_id`` of ``external_dag_id`` (Airflow's
    recursive clear). dagmap runs it as a no-op and does not yet follow it when clearing (docs/sensors.md)."""

    template_fields: Sequence[str] = ("external_dag_id", "external_task_id", "logical_date")
    ui_color = "#4db7db"

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str,
        logical_date: str | dt.datetime | None = "{{ logical_date.isoformat() }}",
        recursion_depth: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if recursion_depth <= 0:
            raise DagDefinitionError(
                "recursion_depth must be a positive integer", task_id=self.task_id, argument="recursion_depth"
            )
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.logical_date = logical_date.isoformat() if isinstance(logical_date, dt.datetime) else logical_date
        self.recursion_depth = recursion_depth
