"""What a mapped task or group expands over: ``expand(**kwargs)`` or ``expand_kwargs(list_of_dicts)``.

Parse-time structure and checks only; per-instance values are computed in :mod:`dagmap.sdk.resolution`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dagmap.errors import MappingDefinitionError
from dagmap.sdk.xcom_arg import RETURN_VALUE, XComArg, iter_xcom_args

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator


class DictOfListsExpandInput:
    """``expand(a=[...], b=...)``: the cross product, row-major in the order written (last varies fastest)."""

    kind = "product"

    def __init__(self, value: Mapping[str, Any]) -> None:
        self.value: dict[str, Any] = dict(value)
        self.literal_cache: dict[str, Any] = {}
        """Per argument, the literal turned into an indexable sequence (dict -> items), built once."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.value)

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        for holder in iter_xcom_args(self.value):
            yield from holder.iter_references()

    def literal_length(self) -> int | None:
        """The instance count if every argument is a literal (known when the run is created)."""
        if any(isinstance(v, XComArg) for v in self.value.values()):
            return None
        return math.prod(len(v) for v in self.value.values())

    def __repr__(self) -> str:
        return f"DictOfListsExpandInput({list(self.value)})"


class ListOfDictsExpandInput:
    """``expand_kwargs([...] or xcom_arg)``: one instance per dict; no cross product."""

    kind = "list_of_dicts"

    def __init__(self, value: Any) -> None:
        self.value = value
        self.names: tuple[str, ...] = ()

    def iter_references(self) -> Iterator[tuple[AbstractOperator, str]]:
        for holder in iter_xcom_args(self.value):
            yield from holder.iter_references()

    def literal_length(self) -> int | None:
        return None if isinstance(self.value, XComArg) else len(self.value)

    def literal_dicts(self) -> list[Mapping[str, Any]]:
        """The dicts written in the DAG file (items that are XComArgs are known only at run time)."""
        if isinstance(self.value, XComArg):
            return []
        return [item for item in self.value if isinstance(item, Mapping)]

    def __repr__(self) -> str:
        return "ListOfDictsExpandInput()"


ExpandInput = DictOfListsExpandInput | ListOfDictsExpandInput

_REFUSED_LITERALS = (str, bytes, bytearray, set, frozenset, int, float, complex, bool)


def check_expand_value(name: str, value: Any, where: dict[str, Any]) -> None:
    """One ``expand`` argument must be a list, tuple, dict or an XComArg of a return value."""
    if isinstance(value, XComArg):
        check_return_value_only(name, value, where)
        return
    if isinstance(value, (list, tuple, dict)):
        return
    kind = type(value).__name__
    hint = (
        "wrap a single value in a list, or pass it to partial()"
        if isinstance(value, _REFUSED_LITERALS)
        else "use a list, a tuple, a dict or an XComArg"
    )
    raise MappingDefinitionError(
        f"cannot map over a {kind} ({value!r:.60}): expand() takes lists, tuples, dicts or XComArgs; {hint}",
        argument=name,
        **where,
    )


def check_return_value_only(name: str, value: XComArg, where: dict[str, Any]) -> None:
    for operator, key in value.iter_references():
        if key != RETURN_VALUE:
            raise MappingDefinitionError(
                f"cannot map over {operator.task_id}.output[{key!r}]: only a task's return value can be "
                "expanded (a custom XCom key may feed partial() instead)",
                argument=name,
                **where,
            )


def check_expand_kwargs_value(value: Any, where: dict[str, Any]) -> None:
    """``expand_kwargs`` takes a list/tuple of dicts (or of XComArgs giving dicts), or one XComArg."""
    if isinstance(value, XComArg):
        check_return_value_only("expand_kwargs", value, where)
        return
    if not isinstance(value, (list, tuple)):
        raise MappingDefinitionError(
            f"expand_kwargs() takes a list of dicts or an XComArg, not {type(value).__name__}",
            argument="expand_kwargs",
            **where,
        )
    for position, item in enumerate(value):
        if isinstance(item, XComArg):
            check_return_value_only(f"expand_kwargs[{position}]", item, where)
        elif not isinstance(item, Mapping):
            raise MappingDefinitionError(
                f"expand_kwargs() item {position} is a {type(item).__name__}, not a dict",
                argument="expand_kwargs",
                **where,
            )
        else:
            for key in item:
                if not isinstance(key, str):
                    raise MappingDefinitionError(
                        f"expand_kwargs() item {position} has a non-string key {key!r}",
                        argument="expand_kwargs",
                        **where,
                    )
