"""Per-instance values of mapping inputs: index decomposition and lazy map / zip / concat views.

One :class:`Resolver` serves one task instance: it turns XComArgs and mapped-group stubs into values and
records which paths of the operator's arguments came from XCom (those are never template-rendered).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload

from dagmap.errors import MappingDefinitionError, UnmappableXComError
from dagmap.sdk.expand_input import DictOfListsExpandInput, ExpandInput
from dagmap.sdk.xcom_arg import ConcatXComArg, MapXComArg, PlainXComArg, XComArg, ZipXComArg, iter_xcom_args

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator

RETURN_VALUE = "return_value"


class XComSource(Protocol):
    """How the SDK reads XComs of the current DAG run (the runner implements it over its client)."""

    def get_value(self, task_id: str, map_index: int, key: str = RETURN_VALUE) -> Any:
        """The value one instance pushed (``map_index`` -1 for an unmapped task); raises XComNotFound."""

    def get_mapped_values(self, task_id: str, key: str = RETURN_VALUE) -> Sequence[Any]:
        """A lazy sequence over the values a mapped task's instances pushed, in map-index order."""

    def pushed_count(self, task_id: str, key: str = RETURN_VALUE) -> int:
        """How many instances of the task pushed a value under ``key``."""


class _View(Sequence[Any]):
    def _index(self, index: int) -> int:
        length = len(self)
        position = index + length if index < 0 else index
        if not 0 <= position < length:
            raise IndexError(f"index {index} out of range for {length} elements")
        return position

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.element(i) for i in range(*index.indices(len(self)))]
        return self.element(self._index(index))

    def element(self, position: int) -> Any:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, tuple, Sequence)) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class MapView(_View):
    def __init__(self, source: Sequence[Any], callables: Sequence[Callable[[Any], Any]]) -> None:
        self.source = source
        self.callables = callables

    def __len__(self) -> int:
        return len(self.source)

    def element(self, position: int) -> Any:
        value = self.source[position]
        for function in self.callables:
            value = function(value)
        return value


class ZipView(_View):
    def __init__(self, sources: Sequence[Sequence[Any]], *, longest: bool, fillvalue: Any) -> None:
        self.sources = sources
        self.fillvalue = fillvalue
        lengths = [len(s) for s in sources]
        self._lengths = lengths
        self._length = (max if longest else min)(lengths) if lengths else 0

    def __len__(self) -> int:
        return self._length

    def element(self, position: int) -> Any:
        return tuple(
            s[position] if position < n else self.fillvalue for s, n in zip(self.sources, self._lengths, strict=True)
        )


class ConcatView(_View):
    def __init__(self, sources: Sequence[Sequence[Any]]) -> None:
        self.sources = sources
        self._ends = list(itertools.accumulate(len(s) for s in sources))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def element(self, position: int) -> Any:
        which = bisect.bisect_right(self._ends, position)
        start = self._ends[which - 1] if which else 0
        return self.sources[which][position - start]


def literal_sequence(value: Any) -> Sequence[Any]:
    """A literal expand value as a sequence: a dict gives its ``(key, value)`` items."""
    return list(value.items()) if isinstance(value, dict) else value


class Resolver:
    """Resolves references for ``task`` at ``map_index`` (see module docstring)."""

    def __init__(self, task: AbstractOperator, map_index: int, xcom: XComSource) -> None:
        self.task = task
        self.map_index = map_index
        self.xcom = xcom
        self.group = task.get_closest_mapped_task_group()
        self.xcom_paths: set[tuple[Any, ...]] = set()
        self._elements: dict[int, tuple[dict[str, Any], set[str]]] = {}

    def error(self, message: str, argument: str | None = None) -> MappingDefinitionError:
        task = self.task
        return MappingDefinitionError(
            message, dag_id=task.dag_id, task_id=task.task_id, map_index=self.map_index, argument=argument
        )

    # --- single values --------------------------------------------------------------------------------
    def value_of(self, arg: PlainXComArg) -> Any:
        producer = arg.operator
        if self.group is not None and producer.get_closest_mapped_task_group() is self.group:
            return self.xcom.get_value(producer.task_id, self.map_index, arg.key)
        if producer.is_mapped:
            return self.xcom.get_mapped_values(producer.task_id, arg.key)
        return self.xcom.get_value(producer.task_id, -1, arg.key)

    def resolve_arg(self, arg: XComArg) -> Any:
        """An XComArg used as a plain argument: its value (a sequence for mapped producers and map/zip/concat)."""
        if isinstance(arg, PlainXComArg):
            return self.value_of(arg)
        return self.sequence_of(arg)

    def sequence_of(self, value: Any) -> Sequence[Any]:
        """An expand input as an indexable sequence (lazy for map / zip / concat and mapped producers)."""
        if isinstance(value, PlainXComArg):
            return self._as_sequence(self.value_of(value), value)
        if isinstance(value, MapXComArg):
            return MapView(self.sequence_of(value.arg), value.callables)
        if isinstance(value, ZipXComArg):
            return ZipView([self.sequence_of(a) for a in value.args], longest=value.longest, fillvalue=value.fillvalue)
        if isinstance(value, ConcatXComArg):
            return ConcatView([self.sequence_of(a) for a in value.args])
        if isinstance(value, (list, tuple, dict)):
            return literal_sequence(value)
        raise self.error(f"cannot map over {value!r}")

    def _as_sequence(self, value: Any, arg: PlainXComArg) -> Sequence[Any]:
        if isinstance(value, dict):
            return list(value.items())
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
            return value
        raise UnmappableXComError(
            f"cannot map over the {type(value).__name__!r} that {arg.operator.task_id!r} pushed: expected a list, "
            "tuple or dict",
            dag_id=self.task.dag_id,
            task_id=self.task.task_id,
            map_index=self.map_index,
        )

    # --- nested structures ----------------------------------------------------------------------------
    def resolve_nested(self, value: Any, path: tuple[Any, ...]) -> Any:
        """``value`` with every nested XComArg / stub replaced by its value; XCom-sourced paths are recorded."""
        if isinstance(value, XComArg):
            self.xcom_paths.add(path)
            return self.resolve_arg(value)
        if hasattr(value, "iter_references") and hasattr(value, "resolve"):  # MappedArgument
            resolved, from_xcom = value.resolve(self)
            if from_xcom:
                self.xcom_paths.add(path)
                return resolved
            return self.resolve_nested(resolved, path)
        if next(iter_xcom_args(value), None) is None:
            return value
        if isinstance(value, tuple):
            items = [self.resolve_nested(v, (*path, i)) for i, v in enumerate(value)]
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        if isinstance(value, list):
            return [self.resolve_nested(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, Mapping):
            return {k: self.resolve_nested(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, (set, frozenset)):
            return type(value)(self.resolve_nested(v, (*path, None)) for v in value)
        return value

    # --- expansion ------------------------------------------------------------------------------------
    def expansion_element(self, expand_input: ExpandInput) -> tuple[dict[str, Any], set[str]]:
        """``(arguments, names whose value came from XCom)`` of element ``map_index`` (cached per input)."""
        cached = self._elements.get(id(expand_input))
        if cached is None:
            if isinstance(expand_input, DictOfListsExpandInput):
                cached = self._product_element(expand_input)
            else:
                cached = self._list_of_dicts_element(expand_input.value)
            self._elements[id(expand_input)] = cached
        return cached

    def _product_element(self, expand_input: DictOfListsExpandInput) -> tuple[dict[str, Any], set[str]]:
        columns: list[tuple[str, Sequence[Any]]] = []
        from_xcom: set[str] = set()
        for name, value in expand_input.value.items():
            if isinstance(value, XComArg):
                from_xcom.add(name)
                columns.append((name, self.sequence_of(value)))
            else:
                sequence = expand_input.literal_cache.get(name)
                if sequence is None:
                    sequence = expand_input.literal_cache[name] = literal_sequence(value)
                columns.append((name, sequence))
        lengths = [len(sequence) for _, sequence in columns]
        total = 1
        for length in lengths:
            total *= length
        if not 0 <= self.map_index < total:
            raise self.error(f"map index {self.map_index} is out of range: the expansion has {total} instances")
        element: dict[str, Any] = {}
        remainder = self.map_index
        for (name, sequence), length in zip(reversed(columns), reversed(lengths), strict=True):
            remainder, position = divmod(remainder, length)
            element[name] = sequence[position]
        return {name: element[name] for name, _ in columns}, from_xcom

    def _list_of_dicts_element(self, value: Any) -> tuple[dict[str, Any], set[str]]:
        index = self.map_index
        if isinstance(value, XComArg):
            sequence = self.sequence_of(value)
            if not 0 <= index < len(sequence):
                raise self.error(f"map index {index} is out of range: expand_kwargs() has {len(sequence)} items")
            item, from_xcom = sequence[index], True
        else:
            if not 0 <= index < len(value):
                raise self.error(f"map index {index} is out of range: expand_kwargs() has {len(value)} items")
            item, from_xcom = value[index], False
            if isinstance(item, XComArg):
                item, from_xcom = self.resolve_arg(item), True
        if not isinstance(item, Mapping):
            raise self.error(
                f"expand_kwargs() item {index} is a {type(item).__name__} ({item!r:.80}), not a dict of arguments",
                "expand_kwargs",
            )
        for key in item:
            if not isinstance(key, str):
                raise self.error(f"expand_kwargs() item {index} has a non-string key {key!r}", "expand_kwargs")
        return dict(item), set(item) if from_xcom else set()
