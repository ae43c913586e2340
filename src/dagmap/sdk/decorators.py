"""TaskFlow: ``@task`` (``.python``, ``.branch``, ``.short_circuit``, ``.bash``, ``.sensor``), ``.override``, mapping.

Calling a decorated function inside a DAG creates a task and returns an XComArg of its result;
``f.partial(**fn_args).expand(**fn_args)`` creates a mapped task whose instances get function arguments.
"""

from __future__ import annotations

import functools
import re
import typing
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
from dagmap.sdk.mapped_operator import MappedOperator
from dagmap.sdk.operator_args import merged_default_args, where
from dagmap.sdk.params import ParamsDict
from dagmap.sdk.setup_teardown import apply_marks
from dagmap.sdk.signatures import callable_facts, operator_init_facts
from dagmap.sdk.xcom_arg import PlainXComArg, XComArg

if TYPE_CHECKING:
    from dagmap.sdk.dag import DAG
    from dagmap.sdk.task_group import TaskGroup

P = ParamSpec("P")
R = TypeVar("R")


def unique_task_id(task_id: str, dag: DAG | None, group: TaskGroup | None) -> str:
    """``task_id``, or ``task_id__N`` when a TaskFlow function is called more than once in the DAG."""
    if dag is None:
        return task_id
    full = group.child_id(task_id) if group is not None else task_id
    if full not in dag.task_dict:
        return task_id
    base = re.split(r"__\d+$", task_id)[0]
    full_base = group.child_id(base) if group is not None else base
    pattern = re.compile(rf"^{re.escape(full_base)}__(\d+)$")
    numbers = [int(m.group(1)) for name in dag.task_dict if (m := pattern.match(name))]
    return f"{base}__{max(numbers, default=0) + 1}"


def infer_multiple_outputs(function: Callable[..., Any]) -> bool:
    """True when the return annotation is ``dict`` or ``dict[...]`` (Airflow's rule)."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # unresolvable forward references: no inference
        return False
    annotation = hints.get("return")
    return annotation is dict or typing.get_origin(annotation) is dict


def _operator_class(kind: str) -> type:
    from dagmap.operators import decorated

    classes: dict[str, type] = {
        "python": decorated._PythonDecoratedOperator,
        "branch": decorated._BranchPythonDecoratedOperator,
        "short_circuit": decorated._ShortCircuitDecoratedOperator,
        "bash": decorated._BashDecoratedOperator,
        "virtualenv": decorated._PythonVirtualenvDecoratedOperator,
        "branch_virtualenv": decorated._BranchPythonVirtualenvDecoratedOperator,
        "external_python": decorated._ExternalPythonDecoratedOperator,
        "branch_external_python": decorated._BranchExternalPythonDecoratedOperator,
    }
    if kind == "sensor":
        from dagmap.sensors.decorated import DecoratedSensorOperator

        return DecoratedSensorOperator
    return classes[kind]


class _TaskDecorator(Generic[P, R]):
    """A function made into a task factory. Calling it creates a task and returns its ``XComArg``."""

    _dagmap_task_decorator = True
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False
    """Set by ``@setup`` / ``@teardown``: the tasks this function makes are marked so."""

    def __init__(
        self, function: Callable[P, R], kind: str, kwargs: dict[str, Any], multiple_outputs: bool | None
    ) -> None:
        if not callable(function):
            raise MappingDefinitionError(f"@task decorates a function, not {function!r}")
        self.function = function
        self.kind = kind
        self.kwargs = kwargs
        self.multiple_outputs = infer_multiple_outputs(function) if multiple_outputs is None else multiple_outputs
        functools.update_wrapper(self, function)

    @property
    def operator_class(self) -> type:
        return _operator_class(self.kind)

    @property
    def task_id(self) -> str:
        return str(self.kwargs.get("task_id") or self.function.__name__)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> XComArg:
        dag = self.kwargs.get("dag") or active.current_dag()
        group = self.kwargs.get("task_group") or active.current_task_group(dag)
        operator_kwargs = {key: value for key, value in self.kwargs.items() if key != "task_id"}
        operator = self.operator_class(
            task_id=unique_task_id(self.task_id, dag, group),
            python_callable=self.function,
            op_args=args,
            op_kwargs=kwargs,
            multiple_outputs=self.multiple_outputs,
            **operator_kwargs,
        )
        apply_marks(self, operator)
        return PlainXComArg(operator)

    def override(self, **kwargs: Any) -> _TaskDecorator[P, R]:
        """The same function with other operator settings (``retries``, ``task_id``, ``pool``, ...)."""
        multiple_outputs = kwargs.pop("multiple_outputs", self.multiple_outputs)
        other = _TaskDecorator(self.function, self.kind, {**self.kwargs, **kwargs}, multiple_outputs)
        other.is_setup, other.is_teardown = self.is_setup, self.is_teardown
        other.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        return other

    def partial(self, *args: Any, **kwargs: Any) -> _TaskFlowPartial:
        """Function arguments that stay the same in every mapped instance."""
        if args:
            raise MappingDefinitionError(
                f"{self.task_id}.partial() takes keyword arguments only", argument="partial", task_id=self.task_id
            )
        facts = callable_facts(self.function)
        for name in kwargs:
            if name in facts.names or facts.var_keyword:
                continue
            if name in operator_init_facts(self.operator_class).names:
                raise MappingDefinitionError(
                    f"partial() got the operator argument {name!r}, but a TaskFlow task's partial() takes only "
                    f"function arguments: use @task({name}=...) or {self.task_id}.override({name}=...)",
                    argument=name,
                    task_id=self.task_id,
                )
            raise MappingDefinitionError(
                f"partial() got an unexpected argument {name!r}: {self.function.__name__}() has no such parameter",
                argument=name,
                task_id=self.task_id,
            )
        return _TaskFlowPartial(self, kwargs)

    def expand(self, *args: Any, **kwargs: Any) -> XComArg:
        return self.partial().expand(*args, **kwargs)

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> XComArg:
        return self.partial().expand_kwargs(kwargs, strict=strict)

    def __repr__(self) -> str:
        return f"<@task {self.function.__qualname__}>"


class _TaskFlowPartial:
    """``f.partial(...)``: waiting for ``expand`` / ``expand_kwargs``."""

    def __init__(self, decorator: _TaskDecorator[..., Any], kwargs: dict[str, Any]) -> None:
        self.decorator = decorator
        self.kwargs = kwargs
        self.dag: DAG | None = decorator.kwargs.get("dag") or active.current_dag()
        self.group: TaskGroup | None = decorator.kwargs.get("task_group") or active.current_task_group(self.dag)
        self.task_id = unique_task_id(decorator.task_id, self.dag, self.group)
        full_id = self.group.child_id(self.task_id) if self.group is not None else self.task_id
        self.where = where(self.dag, full_id)

    def _check_name(self, name: str) -> None:
        facts = callable_facts(self.decorator.function)
        if name in KNOWN_CONTEXT_KEYS:
            raise MappingDefinitionError(
                f"cannot map over {name!r}: it is a context variable that the runner fills in", argument=name,
                **self.where,
            )  # fmt: skip
        if name not in facts.names and not facts.var_keyword:
            raise MappingDefinitionError(
                f"cannot map over {name!r}: {self.decorator.function.__name__}() has no such parameter",
                argument=name,
                **self.where,
            )
        if name in self.kwargs:
            raise MappingDefinitionError(
                f"{name!r} is given to both partial() and expand(); give it to one of them", argument=name,
                **self.where,
            )  # fmt: skip

    def _check_required(self, mapped: set[str], suffix: str = "") -> None:
        facts = callable_facts(self.decorator.function)
        for name, default in facts.defaults.items():
            if name in KNOWN_CONTEXT_KEYS and default is not None:
                raise MappingDefinitionError(
                    f"{self.decorator.function.__name__}(): the context parameter {name!r} may only default to None",
                    argument=name,
                    **self.where,
                )
        missing = sorted(facts.required - mapped - set(self.kwargs))
        if missing:
            raise MappingDefinitionError(
                f"{self.decorator.function.__name__}() needs {missing[0]!r}, given neither to partial() nor to "
                f"expand(){suffix}",
                argument=missing[0],
                **self.where,
            )

    def expand(self, *args: Any, **kwargs: Any) -> XComArg:
        if args:
            raise MappingDefinitionError(
                "expand() takes keyword arguments only: name the function argument to map over, "
                "e.g. expand(x=[1, 2, 3])",
                **self.where,
            )
        if not kwargs:
            raise MappingDefinitionError("expand() needs at least one argument to map over", **self.where)
        for name, value in kwargs.items():
            self._check_name(name)
            check_expand_value(name, value, self.where)
        self._check_required(set(kwargs))
        return self._finish(DictOfListsExpandInput(kwargs))

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> XComArg:
        check_expand_kwargs_value(kwargs, self.where)
        expand_input = ListOfDictsExpandInput(kwargs)
        for position, item in enumerate(expand_input.literal_dicts()):
            for name in item:
                self._check_name(name)
            self._check_required(set(item), f" in expand_kwargs() item {position}")
        return self._finish(expand_input)

    def _finish(self, expand_input: ExpandInput) -> XComArg:
        decorator = self.decorator
        settings = {k: v for k, v in decorator.kwargs.items() if k not in ("task_id", "dag", "task_group")}
        default_args = merged_default_args(self.dag, self.group, settings.pop("default_args", None))
        params = ParamsDict(default_args.pop("params", None)).merged(settings.pop("params", None))
        operator_class = decorator.operator_class
        names = operator_init_facts(operator_class).names
        for name in settings:
            if name not in names:
                raise MappingDefinitionError(
                    f"@task got an unknown operator argument {name!r}", argument=name, **self.where
                )
        partial_kwargs = {
            **settings,
            "python_callable": decorator.function,
            "op_args": (),
            "op_kwargs": dict(self.kwargs),
            "multiple_outputs": decorator.multiple_outputs,
        }
        operator = MappedOperator(
            operator_class=operator_class,
            task_id=self.task_id,
            partial_kwargs=partial_kwargs,
            default_args=default_args,
            params=params,
            expand_input=expand_input,
            dag=self.dag,
            task_group=self.group,
            expand_into_op_kwargs=True,
        )
        apply_marks(decorator, operator)
        return PlainXComArg(operator)


class TaskDecoratorCollection:
    """``@task``, ``@task(...)``, ``@task.python``, ``@task.branch``, ``@task.short_circuit``, ``@task.bash``."""

    def _make(
        self, kind: str, python_callable: Callable[..., Any] | None, multiple_outputs: bool | None, kwargs: Any
    ) -> Any:
        if python_callable is None:
            return lambda function: _TaskDecorator(function, kind, dict(kwargs), multiple_outputs)
        return _TaskDecorator(python_callable, kind, dict(kwargs), multiple_outputs)

    @overload
    def __call__(self, python_callable: Callable[P, R]) -> _TaskDecorator[P, R]: ...

    @overload
    def __call__(
        self, python_callable: None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Callable[[Callable[P, R]], _TaskDecorator[P, R]]: ...

    def __call__(
        self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        return self._make("python", python_callable, multiple_outputs, kwargs)

    python = __call__

    def branch(
        self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        """The function returns the task id (or ids) to follow; the other direct downstream tasks are skipped."""
        return self._make("branch", python_callable, multiple_outputs, kwargs)

    def short_circuit(
        self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        """A falsy return value skips the downstream tasks."""
        return self._make("short_circuit", python_callable, multiple_outputs, kwargs)

    def bash(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        """The function returns the bash command to run."""
        return self._make("bash", python_callable, False, kwargs)

    def sensor(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        """A sensor whose poke is the function: it returns a bool or a ``PokeReturnValue`` (``poke_interval``,
        ``timeout``, ``soft_fail``, ... are sensor arguments)."""
        return self._make("sensor", python_callable, False, kwargs)

    def virtualenv(
        self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        """The function runs in a new virtual environment (``requirements=[...]``, ``python_version``, ...)."""
        return self._make("virtualenv", python_callable, multiple_outputs, kwargs)

    def branch_virtualenv(
        self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        """``@task.virtualenv`` whose function returns the task id(s) to follow."""
        return self._make("branch_virtualenv", python_callable, multiple_outputs, kwargs)

    def external_python(
        self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        """The function runs with the interpreter at ``python=...``."""
        return self._make("external_python", python_callable, multiple_outputs, kwargs)

    def branch_external_python(
        self, python_callable: Callable[..., Any] | None = None, *, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        """``@task.external_python`` whose function returns the task id(s) to follow."""
        return self._make("branch_external_python", python_callable, multiple_outputs, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"@task.{name} is not available in dagmap; use @task, @task.branch, @task.short_circuit, @task.bash, "
            "@task.sensor, @task.virtualenv or @task.external_python (and their branch_ forms)"
        )


task = TaskDecoratorCollection()
