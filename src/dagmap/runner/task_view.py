"""What the runner needs to know about one task of a loaded DAG, derived once and cached per DAG object.

Thousands of mapped instances of the same task share one view: its spec, retry rules, the DAG's Jinja
environment and macros, and the set of mapped task ids (for ``xcom_pull``).
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from dagmap.config import get_settings
from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.states import TaskInstanceState


class DagView:
    def __init__(self, dag: Any) -> None:
        from dagmap.model.from_sdk import dag_to_spec

        self.dag = dag
        self.spec: DagSpec = dag_to_spec(dag)
        self.mapped_task_ids = frozenset(t.task_id for t in self.spec.tasks if t.is_mapped)
        self.tasks: dict[str, TaskView] = {}

    @cached_property
    def jinja_env(self) -> Any:
        from dagmap.sdk.runtime import get_template_env

        return get_template_env(self.dag)

    @cached_property
    def macros(self) -> Any:
        from dagmap.sdk.macros import macros_namespace

        return macros_namespace()

    def task(self, task_id: str) -> TaskView:
        view = self.tasks.get(task_id)
        if view is None:
            view = self.tasks[task_id] = TaskView(self, self.spec.task(task_id), self.dag.get_task(task_id))
        return view


class TaskView:
    def __init__(self, dag_view: DagView, spec: TaskSpec, task: Any) -> None:
        self.dag_view = dag_view
        self.spec = spec
        self.task = task
        self.is_mapped = spec.is_mapped
        self.feeds_mapping = spec.feeds_mapping
        self.mapped_task_ids = dag_view.mapped_task_ids
        self.max_map_length = get_settings().core.max_map_length
        expand = spec.expand
        self.maps_params = expand is not None and (
            expand.kind == "list_of_dicts" or any(name == "params" for name, _ in expand.arguments)
        )
        """Instances may get params of their own from the expansion: rebuild the context's params for each."""

    @property
    def jinja_env(self) -> Any:
        return self.dag_view.jinja_env

    @property
    def macros(self) -> Any:
        return self.dag_view.macros

    def resolve_params(self, conf: dict[str, Any], operator: Any = None) -> dict[str, Any]:
        from dagmap.sdk.params import resolve_params

        dag_params = getattr(self.dag_view.dag, "params", None) or {}
        return resolve_params(dag_params, conf, task_params=getattr(operator or self.task, "params", None))

    def rendered_fields(self, operator: Any) -> dict[str, Any]:
        from dagmap.connections.masking import redact

        fields = {name: _plain(getattr(operator, name, None)) for name in getattr(operator, "template_fields", ())}
        redacted = redact(fields)
        return redacted if isinstance(redacted, dict) else fields

    def render_map_index(self, operator: Any, context: dict[str, Any]) -> str | None:
        if not self.spec.map_index_template:
            return None
        from dagmap.sdk.runtime import render_map_index

        try:
            rendered = render_map_index(operator, context, jinja_env=self.jinja_env)
        except Exception:  # a broken name template must not change the task's outcome
            return None
        return rendered[:250] if rendered else rendered

    def failure_outcome(self, try_number: int, max_tries: int) -> tuple[TaskInstanceState, datetime | None]:
        """``up_for_retry`` and when, or ``failed``: the scheduler's retry rules for this task."""
        from dagmap.scheduler.retries import failure_outcome

        return failure_outcome(self.spec, try_number, datetime.now(UTC), max_tries=max_tries)

    def skip_decision(self, operator: Any, result: Any) -> tuple[frozenset[str], frozenset[str]]:
        """Branching / short-circuit: (task ids to skip entirely, task ids to skip at this map index only)."""
        decision = operator.skip_after_execute(result)
        if decision is None:
            return frozenset(), frozenset()
        same = frozenset(decision.same_map_index_task_ids)
        return frozenset(decision.task_ids) - same, same


def _plain(value: Any) -> Any:
    """Rendered values as JSON-friendly data (repr for anything exotic)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


_views: weakref.WeakKeyDictionary[Any, DagView] = weakref.WeakKeyDictionary()


def task_view(dag: Any, task_id: str) -> TaskView:
    view = _views.get(dag)
    if view is None:
        view = _views[dag] = DagView(dag)
    return view.task(task_id)
