"""BaseOperator: one task of a DAG, with Airflow's arguments, ``default_args`` handling and ``partial``.

Subclasses implement :meth:`BaseOperator.execute`. ``Op.partial(...).expand(...)`` builds a MappedOperator.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from dagmap.errors import DagDefinitionError, MappingDefinitionError
from dagmap.sdk import active
from dagmap.sdk.abstractoperator import AbstractOperator, validate_key
from dagmap.sdk.operator_args import (
    DEFAULT_OWNER,
    DEFAULT_POOL,
    apply_defaults,
    as_date,
    as_int,
    as_outlets,
    as_timedelta,
    as_trigger_rule,
    as_weight_rule,
    default_queue,
    default_retries,
    where,
)
from dagmap.sdk.params import ParamsDict
from dagmap.trigger_rule import TriggerRule

if TYPE_CHECKING:
    import jinja2

    from dagmap.sdk.dag import DAG
    from dagmap.sdk.mapped_operator import OperatorPartial
    from dagmap.sdk.skipping import SkipDecision
    from dagmap.sdk.task_group import TaskGroup


def _wrap_init(init: Callable[..., None]) -> Callable[..., None]:
    """Apply default_args and register the task once, around the outermost ``__init__`` of the chain."""

    @functools.wraps(init)
    def wrapper(self: BaseOperator, *args: Any, **kwargs: Any) -> None:
        if args:
            raise DagDefinitionError(f"{type(self).__name__}: use keyword arguments when creating an operator")
        if self.__dict__.get("_dagmap_initializing"):
            init(self, **kwargs)
            return
        kwargs = apply_defaults(type(self), kwargs)
        self.__dict__["_dagmap_initializing"] = True
        try:
            init(self, **kwargs)
        finally:
            self.__dict__["_dagmap_initializing"] = False
        self._dagmap_post_init()

    wrapper._dagmap_wrapped = True  # type: ignore[attr-defined]
    return wrapper


class _PartialDescriptor:
    """``Op.partial(...)`` on the class builds an OperatorPartial; on an instance it is an error."""

    def __get__(self, obj: BaseOperator | None, cls: type[BaseOperator]) -> Callable[..., OperatorPartial]:
        if obj is not None:

            def refuse(**kwargs: Any) -> OperatorPartial:
                raise MappingDefinitionError(
                    f"partial() must be called on the operator class ({cls.__name__}.partial(task_id=..., ...)), "
                    "not on an operator instance",
                    task_id=obj.task_id,
                )

            return refuse

        def partial(*args: Any, **kwargs: Any) -> OperatorPartial:
            from dagmap.sdk.mapped_operator import make_partial

            if args:
                raise MappingDefinitionError(f"{cls.__name__}.partial() takes keyword arguments only")
            return make_partial(cls, kwargs)

        return partial


class BaseOperator(AbstractOperator):
    """Base of every operator. Arguments are keyword-only; unknown ones are an error naming the task."""

    ui_color: ClassVar[str] = "#fff"
    ui_fgcolor: ClassVar[str] = "#000"
    partial = _PartialDescriptor()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_dagmap_wrapped", False):
            cls.__init__ = _wrap_init(init)  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        task_id: str,
        owner: str = DEFAULT_OWNER,
        email: Any = None,
        email_on_retry: bool = True,
        email_on_failure: bool = True,
        retries: int | None = None,
        retry_delay: timedelta | float = timedelta(seconds=300),
        retry_exponential_backoff: bool = False,
        max_retry_delay: timedelta | float | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        depends_on_past: bool = False,
        ignore_first_depends_on_past: bool = True,
        wait_for_past_depends_before_skipping: bool = False,
        wait_for_downstream: bool = False,
        dag: DAG | None = None,
        params: Mapping[str, Any] | None = None,
        default_args: Mapping[str, Any] | None = None,
        priority_weight: int = 1,
        weight_rule: str = "downstream",
        queue: str | None = None,
        pool: str | None = None,
        pool_slots: int = 1,
        sla: Any = None,
        execution_timeout: timedelta | float | None = None,
        on_execute_callback: Any = None,
        on_failure_callback: Any = None,
        on_success_callback: Any = None,
        on_retry_callback: Any = None,
        on_skipped_callback: Any = None,
        pre_execute: Any = None,
        post_execute: Any = None,
        trigger_rule: str = TriggerRule.ALL_SUCCESS,
        resources: Any = None,
        run_as_user: str | None = None,
        task_concurrency: int | None = None,
        max_active_tis_per_dag: int | None = None,
        max_active_tis_per_dagrun: int | None = None,
        executor_config: dict[str, Any] | None = None,
        executor: str | None = None,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        inlets: Any = None,
        outlets: Any = None,
        task_group: TaskGroup | None = None,
        doc: str | None = None,
        doc_md: str | None = None,
        doc_json: str | None = None,
        doc_yaml: str | None = None,
        doc_rst: str | None = None,
        task_display_name: str | None = None,
        logger_name: str | None = None,
        allow_nested_operators: bool = True,
        map_index_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        if dag is None and not active.is_unmapping():  # a subclass that did not forward dag=
            dag = active.current_dag()
            task_group = task_group or active.current_task_group(dag)
        validate_key("task_id", task_id, dag=dag)
        if task_group is not None and dag is not None and task_group.dag is not dag:
            raise DagDefinitionError("the task group belongs to another DAG", **where(dag, task_id))
        self.task_group = task_group
        self.task_id = task_group.child_id(task_id) if task_group is not None else task_id
        if kwargs:
            names = ", ".join(sorted(kwargs))
            raise DagDefinitionError(
                f"{type(self).__name__} got unknown arguments: {names}",
                argument=sorted(kwargs)[0],
                **where(dag, self.task_id),
            )
        task = self.task_id
        self.dag = dag
        self.owner = owner
        self.email = email
        self.retries = as_int(default_retries() if retries is None else retries, "retries", task)
        self.retry_delay = as_timedelta(retry_delay, "retry_delay", task) or timedelta(0)
        self.retry_exponential_backoff = retry_exponential_backoff
        self.max_retry_delay = as_timedelta(max_retry_delay, "max_retry_delay", task)
        zone = dag.timezone if dag is not None else UTC
        self.start_date = as_date(start_date, zone)
        self.end_date = as_date(end_date, zone)
        self.depends_on_past = depends_on_past
        self.wait_for_downstream = wait_for_downstream
        self.params = params if isinstance(params, ParamsDict) else ParamsDict(params)
        self.default_args = dict(default_args or {})
        self.priority_weight = as_int(priority_weight, "priority_weight", task)
        self.weight_rule = as_weight_rule(weight_rule, task)
        self.queue = queue or default_queue()
        self.pool = pool or DEFAULT_POOL
        self.pool_slots = as_int(pool_slots, "pool_slots", task)
        if self.pool_slots is not None and self.pool_slots < 1:
            raise DagDefinitionError("pool_slots must be at least 1", argument="pool_slots", **where(dag, task))
        self.execution_timeout = as_timedelta(execution_timeout, "execution_timeout", task)
        self.on_execute_callback = on_execute_callback
        self.on_failure_callback = on_failure_callback
        self.on_success_callback = on_success_callback
        self.on_retry_callback = on_retry_callback
        self.on_skipped_callback = on_skipped_callback
        self.trigger_rule = as_trigger_rule(trigger_rule, task)
        limit = max_active_tis_per_dag if max_active_tis_per_dag is not None else task_concurrency
        self.max_active_tis_per_dag = as_int(limit, "max_active_tis_per_dag", task, allow_none=True)
        self.max_active_tis_per_dagrun = as_int(
            max_active_tis_per_dagrun, "max_active_tis_per_dagrun", task, allow_none=True
        )
        self.executor_config = dict(executor_config or {})
        self.executor = executor
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.outlets = as_outlets(outlets, dag, task)
        self.inlets = list(inlets) if isinstance(inlets, (list, tuple)) else ([] if inlets is None else [inlets])
        self.doc_md = doc_md or doc
        self.task_display_name = task_display_name
        self.map_index_template = map_index_template
        self.logger_name = logger_name
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self._dagmap_xcom_paths: frozenset[tuple[Any, ...]] = frozenset()
        self._dagmap_map_index = -1

    def _dagmap_post_init(self) -> None:
        if active.is_unmapping():
            return
        if self.dag is not None:
            self.dag.add_task(self)
        for field in self.template_fields:
            self.add_references_from(getattr(self, field, None))

    # --- running ----------------------------------------------------------------------------------------
    def execute(self, context: dict[str, Any]) -> Any:
        """Do the work; the return value becomes the ``return_value`` XCom (if ``do_xcom_push``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement execute()")

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        """Which tasks the runner must skip after ``execute`` returned ``result`` (branching, short-circuit)."""
        return None

    def on_kill(self) -> None:
        """Called when the task is killed; override to clean up."""

    def prepare_for_execution(self) -> BaseOperator:
        """A copy to render and execute, so the DAG's own task object is never modified."""
        return copy.copy(self)

    @property
    def map_index(self) -> int:
        """The map index this (prepared) operator runs for; -1 when not mapped."""
        return self._dagmap_map_index

    def get_template_env(self) -> jinja2.Environment:
        from dagmap.sdk.templating import get_template_env

        return get_template_env(self.dag)

    def render_template_fields(self, context: dict[str, Any], jinja_env: jinja2.Environment | None = None) -> None:
        """Render every template field in place (see :func:`dagmap.sdk.templating.render_template_fields`)."""
        from dagmap.sdk.templating import render_template_fields

        render_template_fields(self, context, jinja_env=jinja_env)

    def render_template(
        self, content: Any, context: dict[str, Any], jinja_env: jinja2.Environment | None = None
    ) -> Any:
        from dagmap.sdk.templating import render_value

        return render_value(self, content, context, jinja_env=jinja_env, field="content")

    def xcom_push(self, context: Mapping[str, Any], key: str, value: Any) -> None:
        context["ti"].xcom_push(key=key, value=value)

    def xcom_pull(
        self, context: Mapping[str, Any], task_ids: Any = None, key: str = "return_value", **kwargs: Any
    ) -> Any:
        return context["ti"].xcom_pull(task_ids=task_ids, key=key, **kwargs)


BaseOperator.__init__ = _wrap_init(BaseOperator.__init__)  # type: ignore[method-assign]
