"""``tasks render``: one task instance's template fields, as stored when its try ran, or rendered now from the
DAG file without running anything (Airflow's behaviour). Rendering now runs user code (templates, ``.map``
functions), as ``tasks test`` does; upstream XComs are read from the run when it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagmap.config import get_settings
from dagmap.errors import (
    DagmapError,
    DagNotFound,
    DagRunNotFound,
    TaskInstanceNotFound,
    TaskNotFound,
    TaskSkipped,
    TemplateError,
    XComNotFound,
)
from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.runner.outcome import RunInfo
from dagmap.services.dags import find_run
from dagmap.services.inspect_logs import WAITING, choose_map_index, index_spans
from dagmap.states import FINISHED_STATES, DagRunType, TaskInstanceState
from dagmap.store.queries import SessionFactory, rendered, serialized_dags
from dagmap.store.queries import inspect as queries


@dataclass(frozen=True)
class RenderedFields:
    key: TaskInstanceKey
    fields: dict[str, Any]
    """Template field name -> rendered value (JSON-friendly; secrets masked)."""
    stored: bool
    """True: as stored when the instance's try ran; False: rendered now from the DAG file."""
    run_exists: bool
    """False: rendered for a run that does not exist (a logical date without a run, or now)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "dag_id": self.key.dag_id,
            "run_id": self.key.run_id,
            "task_id": self.key.task_id,
            "map_index": self.key.map_index,
            "source": "stored" if self.stored else "rendered",
            "fields": self.fields,
        }


@dataclass(frozen=True)
class _Lookup:
    """What the database says about the instance before anything is rendered."""

    run: RunInfo | None
    map_index: int | None
    next_try: int = 1
    expanded: int | None = None


def render_task_fields(
    dag_id: str,
    task_id: str,
    run: str | None = None,
    *,
    map_index: int | None = None,
    dags_folder: Path | None = None,
    sessions: SessionFactory | None = None,
) -> RenderedFields:
    """The template fields of instance ``map_index`` of ``task_id`` in ``run`` (a run id or logical date; None:
    a run at the current time). The stored values when the instance's try ran; otherwise the fields are
    rendered now from the DAG file (``dags_folder``, else the stored DAG's file, else the configured folder),
    a mapped instance getting its mapped arguments from literals or from the run's upstream XComs.

    Raises DagNotFound, DagRunNotFound, TaskNotFound, TaskInstanceNotFound; XComNotFound when an upstream value
    a mapped instance needs has not been pushed; TemplateError when rendering fails.
    """
    from dagmap.store import db

    sessions = sessions or db.session_factory()
    with sessions.begin() as session:  # one short transaction: rendering (user code) happens after it
        spec = serialized_dags.load_many(session, [dag_id]).get(dag_id)
        if spec is not None and task_id not in spec.tasks_by_id:
            raise TaskNotFound("no such task in the DAG", dag_id=dag_id, task_id=task_id)
        summary = _existing_run(session, dag_id, run)
        lookup = _Lookup(None, map_index)
        if summary is not None:
            indexes = queries.map_indexes(session, dag_id, summary.run_id, task_id)
            if _not_expanded_yet(spec, task_id, indexes) and map_index is not None and map_index >= 0:
                index = map_index  # rendered below from the upstream values, when they have been pushed
            else:
                index = choose_map_index(session, dag_id, summary.run_id, task_id, map_index)
            key = TaskInstanceKey(dag_id, summary.run_id, task_id, index)
            stored = rendered.get(session, **key._asdict())
            if stored is not None:
                return RenderedFields(key, dict(stored), stored=True, run_exists=True)
            if index == -1 and _not_expanded_yet(spec, task_id, indexes):
                raise TaskNotFound(
                    f"is mapped over upstream results, not expanded yet in run {summary.run_id!r}: "
                    "choose an instance with --map-index",
                    dag_id=dag_id,
                    task_id=task_id,
                )
            current = queries.instance_try(session, key)
            expanded = sum(1 for i, state in indexes if i >= 0 and state != TaskInstanceState.REMOVED)
            latest = current.try_number if current else 0
            lookup = _Lookup(
                _run_info(summary),
                index,
                next_try=latest + 1 if current and current.state in WAITING else max(latest, 1),
                expanded=expanded or None,
            )
    dag = _load_dag(dag_id, spec, dags_folder)
    if task_id not in dag.task_dict:
        raise TaskNotFound(f"no such task in the DAG (file {dag.fileloc})", dag_id=dag_id, task_id=task_id)
    return _render_now(dag, task_id, lookup, run, sessions)


def _not_expanded_yet(spec: DagSpec | None, task_id: str, indexes: list[tuple[int, str | None]]) -> bool:
    """A mapped task whose only instance is the placeholder the scheduler replaces once its input is known."""
    if spec is None or not spec.task(task_id).is_mapped:
        return False
    return [index for index, _ in indexes] == [-1] and indexes[0][1] not in FINISHED_STATES


def _existing_run(session: Any, dag_id: str, run: str | None) -> Any:
    """The run ``run`` names, or None when none exists for it (only a logical date may name a run to be)."""
    if run is None:
        return None
    try:
        return find_run(session, dag_id, run)
    except (DagNotFound, DagRunNotFound):
        if _as_date(run) is None:
            raise DagRunNotFound(f"no run with run id or logical date {run!r}", dag_id=dag_id) from None
        return None


def _run_info(summary: Any) -> RunInfo:
    return RunInfo(
        dag_id=summary.dag_id,
        run_id=summary.run_id,
        run_type=summary.run_type,
        logical_date=summary.logical_date,
        data_interval_start=summary.data_interval_start,
        data_interval_end=summary.data_interval_end,
        conf=summary.conf,
        start_date=summary.start_date,
    )


def _load_dag(dag_id: str, spec: DagSpec | None, dags_folder: Path | None) -> Any:
    from dagmap.services.loading import find_dag

    if dags_folder is not None:
        return find_dag(dag_id, dags_folder)
    if spec is not None and Path(spec.fileloc).is_file():
        from dagmap.runner.entry import load_dag

        return load_dag(spec.fileloc, dag_id)
    return find_dag(dag_id, get_settings().dags_folder)


def _new_run(dag: Any, run: str | None) -> RunInfo:
    """A run that does not exist (yet): manual, at the logical date given or now."""
    from dagmap.timetables import dagrun_id_for

    logical_date = (_as_date(run) if run else None) or datetime.now(UTC)
    interval = dag.timetable.infer_manual_data_interval(logical_date)
    return RunInfo(
        dag_id=dag.dag_id,
        run_id=dagrun_id_for(DagRunType.MANUAL, logical_date),
        run_type=DagRunType.MANUAL.value,
        logical_date=logical_date,
        data_interval_start=interval.start,
        data_interval_end=interval.end,
        conf={},
        start_date=None,
    )


def _index_without_run(spec: DagSpec, task: TaskSpec, map_index: int | None) -> tuple[int, int | None]:
    """``(map index, expanded count)`` for a run that does not exist: literal expansions are known."""
    from dagmap.scheduler.expansion import task_instance_count

    where: dict[str, Any] = {"dag_id": spec.dag_id, "task_id": task.task_id}
    if not task.is_mapped:
        if map_index not in (None, -1):
            raise TaskNotFound("is not mapped: it has only map index -1", **where)
        return -1, None
    count = task_instance_count(spec, task)
    if count == 0:
        raise TaskInstanceNotFound("is mapped over an empty literal: it has no instance to render", **where)
    if map_index is None:
        if count is None:
            raise TaskNotFound("is mapped over an upstream result: choose an instance with --map-index", **where)
        raise TaskNotFound(
            f"is mapped into {count} instances: choose an instance with --map-index (0-{count - 1})", **where
        )
    if map_index < 0 or (count is not None and map_index >= count):
        has = f"it has {count}: {index_spans(list(range(count)))}" if count is not None else "indexes start at 0"
        raise TaskInstanceNotFound(f"has no map index {map_index} ({has})", **where)
    return map_index, count


def _render_now(dag: Any, task_id: str, lookup: _Lookup, run: str | None, sessions: SessionFactory) -> RenderedFields:
    from dagmap.runner.context import RuntimeTaskInstance, build_context
    from dagmap.runner.task_view import task_view
    from dagmap.sdk.runtime import prepare_task_for_run, render_template_fields, set_current_context
    from dagmap.store.runtime_client import DirectRuntimeClient
    from dagmap.xcom.backends import xcom_storage_from_settings

    view = task_view(dag, task_id)
    info = lookup.run
    expanded = lookup.expanded
    if info is None:
        info = _new_run(dag, run)
        map_index, expanded = _index_without_run(view.dag_view.spec, view.spec, lookup.map_index)
    else:
        map_index = lookup.map_index if lookup.map_index is not None else -1
    key = TaskInstanceKey(dag.dag_id, info.run_id, task_id, map_index)
    client = DirectRuntimeClient(sessions, xcom_storage_from_settings())
    ti = RuntimeTaskInstance(
        key=key,
        task=view.task,
        try_number=lookup.next_try,
        max_tries=view.spec.retries,
        client=client,
        start_date=datetime.now(UTC),
        mapped_task_ids=view.mapped_task_ids,
        log_path="",
    )
    where: dict[str, Any] = {"dag_id": key.dag_id, "task_id": task_id, "map_index": map_index}
    try:
        _check_mapped_sources(view.dag_view.spec, view.spec, client, key)
        context = build_context(
            dag=dag,
            task=view.task,
            ti=ti,
            info=info,
            params=view.resolve_params(info.conf),
            macros=view.macros,
            expanded_ti_count=expanded,
        )
        with set_current_context(context):
            operator = prepare_task_for_run(view.task, map_index=map_index, xcom=_XComSource(client, key))
            context["task"] = ti.task = operator
            if view.maps_params:
                context["params"] = view.resolve_params(info.conf, operator)
            render_template_fields(operator, context, jinja_env=view.jinja_env)
    except XComNotFound as error:
        upstream = repr(error.task_id) if error.task_id else "an upstream task"
        why = "does not exist yet" if lookup.run is None else f"has no such value from {upstream} yet"
        raise XComNotFound(
            f"cannot render yet: it needs a value {upstream} pushes, and run {info.run_id!r} {why}", **where
        ) from None
    except TaskSkipped as signal:
        raise TemplateError(f"this instance would be skipped, not rendered: {signal.message}", **where) from None
    except DagmapError:
        raise
    except Exception as error:  # user code (templates, .map functions): its failure is the answer
        raise TemplateError(f"rendering failed: {type(error).__name__}: {error}", **where) from error
    return RenderedFields(key, view.rendered_fields(operator), stored=False, run_exists=lookup.run is not None)


def _check_mapped_sources(spec: DagSpec, task: TaskSpec, client: Any, key: TaskInstanceKey) -> None:
    """A mapped upstream that has pushed nothing yet would look like an empty expansion: say what is missing."""
    from dagmap.scheduler.expansion import expansion_inputs

    for source in expansion_inputs(spec, task):
        if spec.task(source.task_id).is_mapped and not client.pushed_count(
            key.dag_id, key.run_id, source.task_id, source.key
        ):
            raise XComNotFound(
                f"no XCom {source.key!r} pushed by the instances of {source.task_id!r}", task_id=source.task_id
            )


class _XComSource:
    """The SDK's XComSource over the runtime client, for the instance's run."""

    def __init__(self, client: Any, key: TaskInstanceKey) -> None:
        self._client = client
        self._dag_id = key.dag_id
        self._run_id = key.run_id

    def get_value(self, task_id: str, map_index: int, key: str = "return_value") -> Any:
        return self._client.get_xcom(TaskInstanceKey(self._dag_id, self._run_id, task_id, map_index), key)

    def get_mapped_values(self, task_id: str, key: str = "return_value") -> Any:
        return self._client.mapped_xcoms(self._dag_id, self._run_id, task_id, key)

    def pushed_count(self, task_id: str, key: str = "return_value") -> int:
        return int(self._client.pushed_count(self._dag_id, self._run_id, task_id, key))


def _as_date(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
