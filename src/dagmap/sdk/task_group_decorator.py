"""``@task_group``: a function whose tasks form a group; ``.partial(...).expand(...)`` makes it a mapped group.

Inside a mapped group the function receives :class:`MappedArgument` stubs, resolved per instance at run time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from dagmap.errors import MappingDefinitionError
from dagmap.sdk import active
from dagmap.sdk.context import KNOWN_CONTEXT_KEYS
from dagmap.sdk.expand_input import (
    DictOfListsExpandInput,
    ExpandInput,
    ListOfDictsExpandInput,
    check_expand_kwargs_value,
    check_expand_value,
)
from dagmap.sdk.signatures import callable_facts
from dagmap.sdk.task_group import MappedTaskGroup, TaskGroup
from dagmap.sdk.types import NOTSET, ArgNotSet
from dagmap.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dagmap.sdk.abstractoperator import AbstractOperator

P = ParamSpec("P")
R = TypeVar("R")


class MappedArgument:
    """A mapped group's function argument: the ``key`` of the group's expansion element, per instance."""

    def __init__(self, expand_input: ExpandInput, key: str, default: Any = NOTSET) -> None:
        self.expand_input = expand_input
        self.key = key
        self.default = default

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        yield from self.expand_input.iter_references()

    def resolve(self, resolver: Any) -> tuple[Any, bool]:
        """``(value, came_from_xcom)`` for the resolver's map index."""
        element, from_xcom = resolver.expansion_element(self.expand_input)
        if self.key in element:
            return element[self.key], self.key in from_xcom
        if not isinstance(self.default, ArgNotSet):
            return self.default, False
        raise MappingDefinitionError(
            f"the mapped task group's expand_kwargs() item has no key {self.key!r} (and the function gives no default)",
            argument=self.key,
            map_index=resolver.map_index,
            task_id=resolver.task.task_id,
        )

    def __repr__(self) -> str:
        return f"MappedArgument({self.key!r})"


class _TaskGroupFactory(Generic[P, R]):
    def __init__(self, function: Callable[P, R], tg_kwargs: dict[str, Any], partial_kwargs: dict[str, Any]) -> None:
        self.function = function
        self.tg_kwargs = tg_kwargs
        self.partial_kwargs = partial_kwargs
        functools.update_wrapper(self, function)

    @property
    def group_id(self) -> str:
        return str(self.tg_kwargs.get("group_id") or self.function.__name__)

    def _create(self, group_class: Callable[..., TaskGroup], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        options = {k: v for k, v in self.tg_kwargs.items() if k != "group_id"}
        with group_class(self.group_id, add_suffix_on_collision=True, **options) as group:
            if self.function.__doc__ and not group.tooltip:
                group.tooltip = self.function.__doc__.strip()
            result = self.function(*args, **kwargs)
        if isinstance(group, MappedTaskGroup):
            _check_mapped_group(group)
        # A function returning a task (or XComArg) lets ``>>`` bind to it; otherwise to the whole group.
        return group if result is None else result

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        if self.partial_kwargs:
            raise self._error("partial() must be followed by expand() or expand_kwargs()")
        return self._create(TaskGroup, args, kwargs)

    def override(self, **kwargs: Any) -> _TaskGroupFactory[P, R]:
        return _TaskGroupFactory(self.function, {**self.tg_kwargs, **kwargs}, self.partial_kwargs)

    def _where(self) -> dict[str, Any]:
        dag = active.current_dag()
        fields: dict[str, Any] = {"argument": None}
        if dag is not None:
            fields.update(dag_id=dag.dag_id, filename=dag.fileloc)
        return fields

    def _error(self, message: str, name: str | None = None) -> MappingDefinitionError:
        fields = self._where()
        fields["argument"] = name
        return MappingDefinitionError(f"task group {self.group_id!r}: {message}", **fields)

    def partial(self, **kwargs: Any) -> _TaskGroupFactory[P, R]:
        facts = callable_facts(self.function)
        for name in kwargs:
            if name not in facts.names and not facts.var_keyword:
                raise self._error(f"partial() got an unexpected argument {name!r}", name)
        return _TaskGroupFactory(self.function, self.tg_kwargs, {**self.partial_kwargs, **kwargs})

    def _check_name(self, name: str) -> None:
        facts = callable_facts(self.function)
        if name in KNOWN_CONTEXT_KEYS:
            raise self._error(f"cannot map over {name!r}: it is a context variable", name)
        if name not in facts.names and not facts.var_keyword:
            raise self._error(f"cannot map over {name!r}: {self.function.__name__}() has no such parameter", name)
        if name in self.partial_kwargs:
            raise self._error(f"{name!r} is given to both partial() and expand(); give it to one of them", name)

    def _check_required(self, mapped: set[str]) -> None:
        missing = sorted(callable_facts(self.function).required - mapped - set(self.partial_kwargs))
        if missing:
            raise self._error(f"{missing[0]!r} is given neither to partial() nor to expand()", missing[0])

    def expand(self, *args: Any, **kwargs: Any) -> Any:
        """One group instance per element (several arguments: the cross product)."""
        if args:
            raise self._error("expand() takes keyword arguments only")
        if not kwargs:
            raise self._error("expand() needs at least one argument to map over")
        where = {k: v for k, v in self._where().items() if k != "argument"}
        for name, value in kwargs.items():
            self._check_name(name)
            check_expand_value(name, value, where)
        self._check_required(set(kwargs))
        expand_input = DictOfListsExpandInput(kwargs)
        defaults = callable_facts(self.function).defaults
        stubs = {name: MappedArgument(expand_input, name, defaults.get(name, NOTSET)) for name in kwargs}
        group_class = functools.partial(MappedTaskGroup, expand_input=expand_input)
        return self._create(group_class, (), {**self.partial_kwargs, **stubs})

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> Any:
        """One group instance per dict of function arguments."""
        facts = callable_facts(self.function)
        if facts.var_keyword or facts.var_positional:
            raise self._error("expand_kwargs() cannot be used with a function taking *args or **kwargs")
        where = {k: v for k, v in self._where().items() if k != "argument"}
        check_expand_kwargs_value(kwargs, where)
        expand_input = ListOfDictsExpandInput(kwargs)
        for item in expand_input.literal_dicts():
            for name in item:
                self._check_name(name)
            self._check_required(set(item))
        stubs = {
            name: MappedArgument(expand_input, name, facts.defaults.get(name, NOTSET))
            for name in facts.names
            if name not in self.partial_kwargs
        }
        group_class = functools.partial(MappedTaskGroup, expand_input=expand_input)
        return self._create(group_class, (), {**self.partial_kwargs, **stubs})


def _check_mapped_group(group: MappedTaskGroup) -> None:
    if next(group.expand_input.iter_references(), None) is None:
        return
    for task in group:
        if getattr(task, "trigger_rule", None) is TriggerRule.ALWAYS:
            raise MappingDefinitionError(
                "trigger_rule='always' cannot be used in a task group mapped over an upstream result: the task "
                "could run before its input exists",
                dag_id=group.dag.dag_id, task_id=task.task_id, filename=group.dag.fileloc, argument="trigger_rule",
            )  # fmt: skip


@overload
def task_group(python_callable: Callable[P, R]) -> _TaskGroupFactory[P, R]: ...


@overload
def task_group(
    python_callable: None = None, *, group_id: str | None = None, **kwargs: Any
) -> Callable[[Callable[P, R]], _TaskGroupFactory[P, R]]: ...


def task_group(python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """``@task_group`` / ``@task_group(group_id=..., prefix_group_id=..., tooltip=..., default_args=...)``."""
    if python_callable is not None and callable(python_callable):
        return _TaskGroupFactory(python_callable, kwargs, {})
    if python_callable is not None:  # @task_group("my_group"): Airflow's positional group_id
        kwargs["group_id"] = python_callable
    return lambda function: _TaskGroupFactory(function, kwargs, {})
