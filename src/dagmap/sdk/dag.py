"""The DAG: a set of tasks and groups with a schedule, defaults and params; a context manager."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from dagmap.config import get_settings
from dagmap.errors import DagDefinitionError, DuplicateTaskIdError, TaskNotFound
from dagmap.sdk import active
from dagmap.sdk.abstractoperator import validate_key
from dagmap.sdk.assets import BaseAsset, as_asset_condition, is_asset_schedule
from dagmap.sdk.params import DagParam, ParamsDict
from dagmap.sdk.types import NOTSET, ArgNotSet
from dagmap.timetables import AssetTriggeredTimetable, Timetable, coerce_datetime, parse_schedule, parse_timezone

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator
    from dagmap.sdk.task_group import TaskGroup

_SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_IGNORED_DAG_ARGUMENTS = frozenset(
    {"sla_miss_callback", "default_view", "orientation", "access_control", "fail_stop", "dag_display_name",
     "max_consecutive_failed_dag_runs", "full_filepath", "jinja_environment_kwargs", "template_undefined",
     "on_success_callback", "on_failure_callback", "owner_links"}
)  # fmt: skip


def caller_file(depth: int = 2) -> str:
    """The file of the first frame outside dagmap's own package (where the user wrote the DAG)."""
    frame = sys._getframe(depth)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_SDK_DIR + os.sep):
        frame = frame.f_back  # type: ignore[assignment]
    return frame.f_code.co_filename if frame is not None else "<unknown>"


class DAG:
    """A workflow. Use as ``with DAG("my_dag", schedule="@daily", start_date=...) as dag:``."""

    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = NOTSET,
        schedule_interval: Any = NOTSET,
        timetable: Timetable | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        default_args: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        template_searchpath: str | Iterable[str] | None = None,
        user_defined_macros: Mapping[str, Any] | None = None,
        user_defined_filters: Mapping[str, Callable[..., Any]] | None = None,
        render_template_as_native_obj: bool = False,
        max_active_runs: int = 16,
        max_active_tasks: int = 16,
        concurrency: int | None = None,
        dagrun_timeout: timedelta | None = None,
        catchup: bool = False,
        tags: Iterable[str] | None = None,
        doc_md: str | None = None,
        is_paused_upon_creation: bool | None = None,
        auto_register: bool = True,
        fileloc: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.fileloc = fileloc or caller_file()
        self.dag_id = validate_key("dag_id", dag_id)
        unknown = sorted(set(kwargs) - _IGNORED_DAG_ARGUMENTS)
        if unknown:
            raise DagDefinitionError(
                f"DAG() got unknown arguments: {', '.join(unknown)}",
                dag_id=dag_id,
                filename=self.fileloc,
                argument=unknown[0],
            )
        self.description = description
        self.doc_md = doc_md
        self.default_args: dict[str, Any] = dict(default_args or {})
        self.params = ParamsDict(self.default_args.pop("params", None)).merged(params)
        start_date = start_date if start_date is not None else self.default_args.get("start_date")
        end_date = end_date if end_date is not None else self.default_args.get("end_date")
        zone: str | tzinfo = get_settings().core.default_timezone
        if isinstance(start_date, datetime) and start_date.tzinfo is not None:
            zone = start_date.tzinfo
        self.timezone = self._where(parse_timezone, zone)
        self.start_date = coerce_datetime(start_date, self.timezone) if start_date is not None else None
        self.end_date = coerce_datetime(end_date, self.timezone) if end_date is not None else None
        self.schedule = self._schedule_argument(schedule, schedule_interval, timetable)
        self.asset_condition: BaseAsset | None = None
        if is_asset_schedule(self.schedule):
            self.asset_condition = self._where(as_asset_condition, self.schedule)
            timetable = AssetTriggeredTimetable(self.asset_condition.as_expression())
        elif isinstance(self.schedule, (list, tuple)) and not self.schedule:
            self.schedule = None  # Airflow 2 accepted an empty list of datasets: never scheduled
        self.timetable: Timetable = timetable or self._where(parse_schedule, self.schedule, timezone=self.timezone)
        if isinstance(template_searchpath, str):
            template_searchpath = [template_searchpath]
        self.template_searchpath: list[str] = list(template_searchpath or [])
        self.user_defined_macros: dict[str, Any] = dict(user_defined_macros or {})
        self.user_defined_filters: dict[str, Callable[..., Any]] = dict(user_defined_filters or {})
        self.render_template_as_native_obj = render_template_as_native_obj
        self.max_active_runs = max_active_runs
        self.max_active_tasks = concurrency if concurrency is not None else max_active_tasks
        self.dagrun_timeout = dagrun_timeout
        self.catchup = catchup
        self.tags: list[str] = list(tags or [])
        self.is_paused_upon_creation = is_paused_upon_creation
        self.auto_register = auto_register
        self.on_success_callback = kwargs.get("on_success_callback")
        self.on_failure_callback = kwargs.get("on_failure_callback")
        self.owner_links: dict[str, str] = dict(kwargs.get("owner_links") or {})
        self.task_dict: dict[str, AbstractOperator] = {}
        self.task_group_dict: dict[str, TaskGroup] = {}
        self.edge_info: dict[tuple[str, str], dict[str, str]] = {}
        from dagmap.sdk.task_group import TaskGroup

        self.task_group = TaskGroup.create_root(self)

    def _where(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DagDefinitionError as error:
            error.dag_id, error.filename = self.dag_id, self.fileloc
            raise
        except Exception as error:  # e.g. ScheduleError subclasses, bad zone objects
            raise DagDefinitionError(str(error), dag_id=self.dag_id, filename=self.fileloc) from error

    def _schedule_argument(self, schedule: Any, schedule_interval: Any, timetable: Timetable | None) -> Any:
        given = [name for name, value in (("schedule", schedule), ("schedule_interval", schedule_interval))
                 if not isinstance(value, ArgNotSet)]  # fmt: skip
        if len(given) + (timetable is not None) > 1:
            raise DagDefinitionError(
                "give only one of schedule, schedule_interval (its old name) and timetable",
                dag_id=self.dag_id, filename=self.fileloc, argument="schedule",
            )  # fmt: skip
        if not isinstance(schedule, ArgNotSet):
            return schedule
        if not isinstance(schedule_interval, ArgNotSet):
            return schedule_interval
        return None

    # --- context manager --------------------------------------------------------------------------------
    def __enter__(self) -> DAG:
        active.push_dag(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        active.pop_dag()

    # --- tasks --------------------------------------------------------------------------------------------
    def add_task(self, task: AbstractOperator) -> None:
        existing = self.task_dict.get(task.task_id)
        if existing is task:
            return
        if existing is not None or task.task_id in self.task_group_dict:
            raise DuplicateTaskIdError(
                f"the task id {task.task_id!r} is used twice", dag_id=self.dag_id, task_id=task.task_id,
                filename=self.fileloc,
            )  # fmt: skip
        if task.dag is not None and task.dag is not self:
            raise DagDefinitionError(
                f"task {task.task_id!r} already belongs to DAG {task.dag.dag_id!r}", dag_id=self.dag_id,
                task_id=task.task_id, filename=self.fileloc,
            )  # fmt: skip
        task.dag = self
        if task.task_group is None:
            task.task_group = self.task_group
        task.task_group.add_child(task)
        self.task_dict[task.task_id] = task
        if getattr(task, "start_date", None) is None and hasattr(task, "start_date"):
            task.start_date = self.start_date  # type: ignore[attr-defined]

    def add_tasks(self, tasks: Iterable[AbstractOperator]) -> None:
        for task in tasks:
            self.add_task(task)

    def get_task(self, task_id: str) -> AbstractOperator:
        try:
            return self.task_dict[task_id]
        except KeyError:
            raise TaskNotFound(
                f"no task {task_id!r} in DAG {self.dag_id!r}", dag_id=self.dag_id, task_id=task_id
            ) from None

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    @property
    def tasks(self) -> list[AbstractOperator]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    @property
    def task_count(self) -> int:
        return len(self.task_dict)

    @property
    def roots(self) -> list[AbstractOperator]:
        return [t for t in self.task_dict.values() if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[AbstractOperator]:
        return [t for t in self.task_dict.values() if not t.downstream_task_ids]

    @property
    def owner(self) -> str:
        owners = sorted({str(getattr(t, "owner", "")) for t in self.task_dict.values()} - {""})
        return ", ".join(owners) or str(self.default_args.get("owner", "dagmap"))

    @property
    def folder(self) -> str:
        return str(Path(self.fileloc).parent)

    def set_edge_label(self, upstream_id: str, downstream_id: str, label: str) -> None:
        self.edge_info.setdefault((upstream_id, downstream_id), {})["label"] = label

    def get_edge_label(self, upstream_id: str, downstream_id: str) -> str | None:
        return self.edge_info.get((upstream_id, downstream_id), {}).get("label")

    def param(self, name: str, default: Any = NOTSET) -> DagParam:
        """A reference to ``params[name]`` of the run, usable as a task argument."""
        if not isinstance(default, ArgNotSet):
            self.params[name] = default
        return DagParam(name, default)

    def validate(self) -> None:
        """Whole-DAG checks (cycles, params, mapping rules); raises a DagDefinitionError subclass."""
        from dagmap.sdk.validation import validate_dag

        validate_dag(self)

    def topological_sort(self) -> list[AbstractOperator]:
        from dagmap.sdk.validation import topological_order

        return [self.task_dict[t] for t in topological_order(self)]

    def test(
        self,
        run_after: datetime | None = None,
        logical_date: datetime | None = None,
        run_conf: dict[str, Any] | None = None,
        conn_file_path: str | None = None,
        variable_file_path: str | None = None,
        use_executor: bool = False,
        mark_success_pattern: Any = None,
        execution_date: datetime | None = None,
        **_ignored: Any,
    ) -> Any:
        """Airflow's ``dag.test()``: one run of this DAG to completion in this process, as ``dagmap dags test``
        (``if __name__ == "__main__": dag.test()`` at the end of a DAG file). Returns the run's report
        (``state``, ``task_instances``). The run is done by the server side, found through the
        ``dagmap.dag_test`` entry point, so that this package never imports it (ADR 0005)."""
        from importlib.metadata import entry_points

        for name, value in (
            ("conn_file_path", conn_file_path),
            ("variable_file_path", variable_file_path),
            ("mark_success_pattern", mark_success_pattern),
        ):
            if value is not None:
                raise DagDefinitionError(
                    f"dag.test({name}=...) is not supported: use DAGMAP_CONN_<ID> / DAGMAP_VAR_<KEY> environment "
                    "variables for connections and variables", dag_id=self.dag_id, argument=name,
                )  # fmt: skip
        found = [point for point in entry_points(group="dagmap.dag_test") if point.name == "run"]
        if not found:
            raise DagDefinitionError(
                "dag.test() needs dagmap's server side (the 'dagmap.dag_test' entry point is not installed)",
                dag_id=self.dag_id,
            )
        when = logical_date or execution_date or run_after
        if when is not None:
            when = coerce_datetime(when, self.timezone)
        return found[0].load()(self, logical_date=when, conf=run_conf)

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"
