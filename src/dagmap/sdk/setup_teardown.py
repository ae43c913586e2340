"""Setup and teardown tasks (``as_setup``, ``as_teardown``, ``@setup``, ``@teardown``): not supported yet.

Each of Airflow's entry points exists so that a DAG using them fails with a DagDefinitionError that says so,
not with an AttributeError or ImportError. ``mark_setup``, ``mark_teardown`` and ``SetupTeardownScope`` (the
``with`` form) are the groundwork they will call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from dagmap.errors import DagDefinitionError
from dagmap.sdk.dependencies import DependencyMixin, link
from dagmap.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator


def refuse_setup_teardown(what: str, task_id: str | None = None) -> NoReturn:
    raise DagDefinitionError(
        f"setup and teardown tasks ({what}) are not supported by dagmap yet; see 'Not yet supported' in "
        "docs/differences-from-airflow.md",
        task_id=task_id,
    )


def setup(*args: Any, **kwargs: Any) -> NoReturn:
    """Airflow's ``@setup``: not supported yet."""
    refuse_setup_teardown("@setup")


def teardown(*args: Any, **kwargs: Any) -> NoReturn:
    """Airflow's ``@teardown``: not supported yet."""
    refuse_setup_teardown("@teardown")


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
