"""Setup and teardown tasks: ``as_setup``, ``as_teardown``, ``@setup``, ``@teardown`` and the ``with`` form.

``mark_setup`` / ``mark_teardown`` set the flags and edges; ``SetupTeardownScope`` puts the tasks created in
``with setup >> teardown:`` between them. The scheduler's side is ``dagmap.scheduler.setup_teardown``.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from dagmap.errors import DagDefinitionError
from dagmap.sdk.dependencies import DependencyMixin, link
from dagmap.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator


def _task_decorator(function: Any, what: str) -> Any:
    if isinstance(function, types.FunctionType):
        from dagmap.sdk.decorators import task

        function = task(function)
    if not getattr(function, "_dagmap_task_decorator", False):
        raise DagDefinitionError(f"{what} decorates a function or a @task, not {function!r}")
    return function


def setup(function: Any) -> Any:
    """Airflow's ``@setup``: a TaskFlow task (``@task`` implied) whose tasks are setup tasks."""
    decorator = _task_decorator(function, "@setup")
    decorator.is_setup = True
    return decorator


def teardown(function: Any = None, *, on_failure_fail_dagrun: bool = False) -> Any:
    """Airflow's ``@teardown`` / ``@teardown(on_failure_fail_dagrun=True)``: a TaskFlow task whose tasks are
    teardown tasks (link their setups with ``.as_teardown(setups=...)``, ``>>`` or an argument)."""

    def wrap(inner: Any) -> Any:
        decorator = _task_decorator(inner, "@teardown")
        decorator.is_teardown = True
        decorator.on_failure_fail_dagrun = on_failure_fail_dagrun
        return decorator

    return wrap if function is None else wrap(function)


_SCOPES: list[tuple[int, SetupTeardownScope]] = []
"""Open ``with`` scopes, innermost last (DAG files are parsed by one thread at a time)."""


def enter_scope(owner: object, operators: list[AbstractOperator]) -> None:
    scope = SetupTeardownScope(operators)
    scope.__enter__()
    _SCOPES.append((id(owner), scope))


def exit_scope(owner: object, exc_type: type[BaseException] | None) -> None:
    for position in range(len(_SCOPES) - 1, -1, -1):
        if _SCOPES[position][0] == id(owner):
            _SCOPES.pop(position)[1].__exit__(exc_type)
            return


def apply_marks(decorator: Any, operator: AbstractOperator) -> None:
    """Mark a task made by a ``@setup`` / ``@teardown`` TaskFlow function."""
    if getattr(decorator, "is_setup", False):
        mark_setup(operator)
    if getattr(decorator, "is_teardown", False):
        mark_teardown(operator, on_failure_fail_dagrun=getattr(decorator, "on_failure_fail_dagrun", False))


def operators_of(value: Any) -> list[AbstractOperator]:
    """The tasks behind a task, an XComArg (the tasks it reads) or a list of them, in order, once each."""
    found: dict[str, AbstractOperator] = {}
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
    for item in items:
        if hasattr(item, "iter_references"):  # an XComArg
            found.update((operator.task_id, operator) for operator, _key in item.iter_references())
        elif isinstance(item, DependencyMixin) and hasattr(item, "task_id"):
            found[item.task_id] = item  # type: ignore[assignment]
        else:
            raise DagDefinitionError(f"a setup is a task, an XComArg or a list of them, not {item!r}")
    return list(found.values())


def mark_setup(operator: AbstractOperator) -> None:
    """Airflow's ``as_setup()``: the task creates what its teardowns remove."""
    if operator.is_teardown:
        raise DagDefinitionError(
            f"task {operator.task_id!r} is a teardown; it cannot be a setup too", task_id=operator.task_id
        )
    operator.is_setup = True


def mark_teardown(
    operator: AbstractOperator, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None
) -> None:
    """Airflow's ``as_teardown(setups=..., on_failure_fail_dagrun=...)``: the task runs once its upstream is
    done if one of its setups succeeded (``all_done_setup_success``); each of ``setups`` becomes a setup
    task upstream of it."""
    if operator.is_setup:
        raise DagDefinitionError(
            f"task {operator.task_id!r} is a setup; it cannot be a teardown too", task_id=operator.task_id
        )
    operator.is_teardown = True
    operator.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
    if on_failure_fail_dagrun is not None:
        operator.on_failure_fail_dagrun = on_failure_fail_dagrun
    for setup_operator in operators_of(setups) if setups is not None else []:
        mark_setup(setup_operator)
        link(setup_operator, operator)


class SetupTeardownScope:
    """``with setup_task:`` / ``with teardown_task:`` / ``with setup >> teardown:``: every task created inside
    goes after the setups and before the teardowns (its roots downstream of the setups, its leaves upstream
    of the teardowns). A setup brings its teardowns, a teardown its setups."""

    def __init__(self, operators: list[AbstractOperator]) -> None:
        for operator in operators:
            if not operator.is_setup and not operator.is_teardown:
                raise DagDefinitionError(
                    f"task {operator.task_id!r} is neither a setup nor a teardown: only those are context managers",
                    task_id=operator.task_id,
                )
        dag = next((o.dag for o in operators if o.dag is not None), None)
        if dag is None:
            raise DagDefinitionError("a setup or teardown used as a context manager must be in a DAG")
        self.dag = dag
        found: dict[str, AbstractOperator] = {}
        for operator in operators:
            relatives = operator.downstream_list if operator.is_setup else operator.upstream_list
            for task in [operator, *relatives]:
                if task.is_setup or task.is_teardown:
                    found[task.task_id] = task
        self.setups = [t for t in found.values() if t.is_setup]
        self.teardowns = [t for t in found.values() if t.is_teardown]
        self.before: set[str] = set()

    def __enter__(self) -> SetupTeardownScope:
        self.before = set(self.dag.task_dict)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is not None:
            return
        inside = {t: task for t, task in self.dag.task_dict.items() if t not in self.before}
        for task in inside.values():
            if task.upstream_task_ids.isdisjoint(inside):
                for setup_task in self.setups:
                    if task.task_id not in setup_task.upstream_task_ids:
                        link(setup_task, task)
            if task.downstream_task_ids.isdisjoint(inside):
                for teardown_task in self.teardowns:
                    if task.task_id not in teardown_task.downstream_task_ids:
                        link(task, teardown_task)
