"""XComArg: a reference to a value a task will push (``op.output``, a TaskFlow call's result).

``.map(fn)``, ``.zip(...)`` and ``.concat(...)`` compose references; nothing is resolved here (see
:mod:`dagmap.sdk.resolution` for run time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dagmap.errors import MappingDefinitionError
from dagmap.sdk.dependencies import DependencyMixin
from dagmap.sdk.types import NOTSET, ArgNotSet

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator

RETURN_VALUE = "return_value"


class XComArg(DependencyMixin):
    """Base of every XCom reference. Using one as a task argument also makes its producer upstream.

    ``XComArg(task)`` / ``XComArg(task, key="k")`` build the plain reference, as in Airflow.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is XComArg:
            return PlainXComArg(*args, **kwargs)
        return super().__new__(cls)

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        """Every ``(producing task, key)`` this value is made from."""
        raise NotImplementedError

    def dependency_endpoints(self, *, as_upstream: bool) -> list[AbstractOperator]:
        seen: dict[int, AbstractOperator] = {}
        for operator, _key in self.iter_references():
            seen.setdefault(id(operator), operator)
        return list(seen.values())

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        """Apply ``f`` to each element inside each downstream instance (dicts: to each ``(key, value)``)."""
        if getattr(f, "_dagmap_task_decorator", False) or not callable(f):
            raise MappingDefinitionError(f"map() needs a plain function, not {f!r} (a @task cannot be used here)")
        return MapXComArg(self, (f,))

    def zip(self, *others: Any, fillvalue: Any = NOTSET) -> ZipXComArg:
        """Pair elements by position; the shortest input wins unless ``fillvalue`` is given (then the longest)."""
        if not others:
            raise MappingDefinitionError("zip() needs at least one other input")
        return ZipXComArg((self, *(_check_input("zip", other) for other in others)), fillvalue=fillvalue)

    def concat(self, *others: Any) -> ConcatXComArg:
        """The elements of this input followed by those of each other input."""
        if not others:
            raise MappingDefinitionError("concat() needs at least one other input")
        return ConcatXComArg((self, *(_check_input("concat", other) for other in others)))

    def as_setup(self) -> XComArg:
        """Mark the producing tasks as setup tasks; returns this XComArg."""
        from dagmap.sdk.setup_teardown import mark_setup, operators_of

        for operator in operators_of(self):
            mark_setup(operator)
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> XComArg:
        """Mark the producing tasks as teardown tasks of ``setups``; returns this XComArg."""
        from dagmap.sdk.setup_teardown import mark_teardown, operators_of

        for operator in operators_of(self):
            mark_teardown(operator, setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __enter__(self) -> XComArg:
        """``with setup_call():`` / ``with teardown_call().as_teardown(setups=...):`` (see the operator's)."""
        from dagmap.sdk.setup_teardown import enter_scope, operators_of

        enter_scope(self, operators_of(self))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        from dagmap.sdk.setup_teardown import exit_scope

        exit_scope(self, exc_type)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(
            f"{self!r} is not iterable in the DAG file: its value exists only at run time "
            "(map over it with .expand(), or pass it to a task)"
        )

    def __len__(self) -> int:
        raise TypeError(f"{self!r} has no length in the DAG file: its value exists only at run time")


def _check_input(method: str, value: Any) -> Any:
    if isinstance(value, XComArg):
        return value
    if isinstance(value, (list, tuple, dict)):
        return value
    raise MappingDefinitionError(
        f"{method}() takes XComArgs, lists, tuples or dicts, not {type(value).__name__}", argument=method
    )


class PlainXComArg(XComArg):
    """The value ``operator`` pushed under ``key`` (default: its return value)."""

    def __init__(self, operator: AbstractOperator, key: str = RETURN_VALUE) -> None:
        self.operator = operator
        self.key = key

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        yield self.operator, self.key

    def __getitem__(self, key: str) -> PlainXComArg:
        """``task.output["key"]``: the value pushed under another key (may feed ``partial``, not ``expand``)."""
        if not isinstance(key, str):
            raise MappingDefinitionError(f"XCom keys are strings; got {key!r}", task_id=self.operator.task_id)
        return PlainXComArg(self.operator, key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainXComArg) and other.operator is self.operator and other.key == self.key

    def __hash__(self) -> int:
        return hash((id(self.operator), self.key))

    def __repr__(self) -> str:
        suffix = "" if self.key == RETURN_VALUE else f"[{self.key!r}]"
        return f"XComArg({self.operator.task_id!r}){suffix}"

    def __str__(self) -> str:
        """A Jinja template pulling the value, as in Airflow (``f"echo {task.output}"``)."""
        dag_id = self.operator.dag_id
        return (
            f"{{{{ task_instance.xcom_pull(task_ids='{self.operator.task_id}', dag_id='{dag_id}', "
            f"key='{self.key}') }}}}"
        )


class MapXComArg(XComArg):
    """``arg.map(f).map(g)``: elements of ``arg`` passed through ``f`` then ``g`` (lazily, per instance)."""

    def __init__(self, arg: XComArg, callables: tuple[Callable[[Any], Any], ...]) -> None:
        self.arg = arg
        self.callables = callables

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        yield from self.arg.iter_references()

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self.arg, (*self.callables, super().map(f).callables[0]))

    def __repr__(self) -> str:
        names = ", ".join(getattr(f, "__name__", repr(f)) for f in self.callables)
        return f"{self.arg!r}.map({names})"


class ZipXComArg(XComArg):
    """``a.zip(b, ...)``: tuples of elements at the same position."""

    def __init__(self, args: Sequence[Any], *, fillvalue: Any = NOTSET) -> None:
        self.args = tuple(args)
        self.fillvalue = fillvalue

    @property
    def longest(self) -> bool:
        return not isinstance(self.fillvalue, ArgNotSet)

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        for arg in self.args:
            if isinstance(arg, XComArg):
                yield from arg.iter_references()

    def __repr__(self) -> str:
        return f"zip({', '.join(map(repr, self.args))})"


class ConcatXComArg(XComArg):
    """``a.concat(b, ...)``: the elements of each input in turn."""

    def __init__(self, args: Sequence[Any]) -> None:
        self.args = tuple(args)

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        for arg in self.args:
            if isinstance(arg, XComArg):
                yield from arg.iter_references()

    def __repr__(self) -> str:
        return f"concat({', '.join(map(repr, self.args))})"


def iter_xcom_args(value: Any) -> Iterator[Any]:
    """Every XComArg (or other reference holder with ``iter_references``) nested in lists, tuples, sets, dicts."""
    if hasattr(value, "iter_references") and not isinstance(value, type):
        yield value
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from iter_xcom_args(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from iter_xcom_args(item)
