"""The DAG and task group that ``with`` blocks made active, and the DAGs auto-registered for the loader.

Kept in one place so that operators, groups and decorators agree on what "the current DAG" is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagmap.sdk.dag import DAG
    from dagmap.sdk.task_group import TaskGroup

_dag_stack: list[DAG] = []
_group_stacks: dict[int, list[TaskGroup]] = {}
_autoregistered: list[DAG] = []
_unmapping: ContextVar[bool] = ContextVar("dagmap_unmapping", default=False)


def push_dag(dag: DAG) -> None:
    _dag_stack.append(dag)


def pop_dag() -> DAG:
    dag = _dag_stack.pop()
    if dag.auto_register and dag not in _autoregistered:
        _autoregistered.append(dag)
    return dag


def current_dag() -> DAG | None:
    if _unmapping.get():
        return None
    return _dag_stack[-1] if _dag_stack else None


def push_task_group(group: TaskGroup) -> None:
    _group_stacks.setdefault(id(group.dag), []).append(group)


def pop_task_group(group: TaskGroup) -> None:
    stack = _group_stacks.get(id(group.dag), [])
    if stack and stack[-1] is group:
        stack.pop()
    if not stack:
        _group_stacks.pop(id(group.dag), None)


def current_task_group(dag: DAG | None) -> TaskGroup | None:
    """The innermost active group of ``dag``, or its root group."""
    if dag is None or _unmapping.get():
        return None
    stack = _group_stacks.get(id(dag))
    return stack[-1] if stack else dag.task_group


def take_autoregistered() -> list[DAG]:
    """The DAGs whose ``with`` block ended since the last call (the loader collects these)."""
    dags = list(_autoregistered)
    _autoregistered.clear()
    return dags


def reset() -> None:
    """Forget every active DAG and group (after a DAG file failed in the middle of a ``with`` block)."""
    _dag_stack.clear()
    _group_stacks.clear()
    _autoregistered.clear()


@contextmanager
def unmapping() -> Iterator[None]:
    """While building one instance of a mapped task: no active DAG or group, no registration."""
    token = _unmapping.set(True)
    try:
        yield
    finally:
        _unmapping.reset(token)


def is_unmapping() -> bool:
    return _unmapping.get()
