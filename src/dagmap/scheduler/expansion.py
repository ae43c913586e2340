"""How many instances a mapped task has, from its ExpandSpec and the lengths its upstreams recorded.

Pure: the caller passes a lookup that returns the length behind an :class:`XComInput` (the upstream's
``task_map`` length when it is not mapped, the number of its instances that pushed a value when it is),
or ``None`` while that is not known yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from dagmap.model.spec import (
    ConcatInput,
    DagSpec,
    ExpandSpec,
    InputSpec,
    LiteralInput,
    MapInput,
    TaskSpec,
    XComInput,
    ZipInput,
)

LengthLookup = Callable[[XComInput], int | None]


def _literal_only(_: XComInput) -> int | None:
    return None


def input_length(spec: InputSpec, lookup: LengthLookup = _literal_only) -> int | None:
    """The length of one expand input, or ``None`` while some part of it is unknown."""
    if isinstance(spec, LiteralInput):
        return spec.length
    if isinstance(spec, XComInput):
        return lookup(spec)
    if isinstance(spec, MapInput):
        return input_length(spec.source, lookup)
    parts = [input_length(source, lookup) for source in spec.sources]
    if any(part is None for part in parts):
        return None
    known = [part for part in parts if part is not None]
    if isinstance(spec, ZipInput):
        if not known:
            return 0
        return max(known) if spec.longest else min(known)
    if isinstance(spec, ConcatInput):
        return sum(known)
    raise TypeError(f"unknown expand input {spec!r}")  # pragma: no cover - the union is closed


def expand_length(spec: ExpandSpec, lookup: LengthLookup = _literal_only) -> int | None:
    """Instances of one ``expand`` (cross product of the arguments) or ``expand_kwargs`` (its single input)."""
    lengths = [input_length(source, lookup) for _, source in spec.arguments]
    if any(length is None for length in lengths):
        return None
    known = [length for length in lengths if length is not None]
    if spec.kind == "list_of_dicts":
        return known[0] if known else 0
    return math.prod(known)


def group_counts(dag: DagSpec, task: TaskSpec, lookup: LengthLookup = _literal_only) -> list[int | None]:
    """The count of each mapped task group the task is inside, outermost first."""
    counts: list[int | None] = []
    for group_id in task.mapped_group_ids:
        group = dag.group(group_id)
        counts.append(expand_length(group.expand, lookup) if group.expand is not None else None)
    return counts


def task_instance_count(dag: DagSpec, task: TaskSpec, lookup: LengthLookup = _literal_only) -> int | None:
    """How many instances the task has: 1 when it is not mapped, ``None`` while some length is unknown.

    Inside mapped task groups the count is the product of the groups' counts (nested groups decompose
    row-major, the innermost varying fastest), times the task's own expansion if it has one.
    """
    if not task.is_mapped:
        return 1
    factors = group_counts(dag, task, lookup)
    if task.expand is not None:
        factors.append(expand_length(task.expand, lookup))
    if any(factor is None for factor in factors):
        return None
    return math.prod(factor for factor in factors if factor is not None)


def xcom_inputs(spec: InputSpec | ExpandSpec) -> Iterator[XComInput]:
    """Every upstream value an input depends on."""
    if isinstance(spec, ExpandSpec):
        for _, source in spec.arguments:
            yield from xcom_inputs(source)
    elif isinstance(spec, XComInput):
        yield spec
    elif isinstance(spec, MapInput):
        yield from xcom_inputs(spec.source)
    elif isinstance(spec, (ZipInput, ConcatInput)):
        for source in spec.sources:
            yield from xcom_inputs(source)


def expansion_inputs(dag: DagSpec, task: TaskSpec) -> list[XComInput]:
    """The upstream values whose lengths decide the task's instance count (its groups' and its own)."""
    found: list[XComInput] = []
    for group_id in task.mapped_group_ids:
        group = dag.group(group_id)
        if group.expand is not None:
            found.extend(xcom_inputs(group.expand))
    if task.expand is not None:
        found.extend(xcom_inputs(task.expand))
    return list(dict.fromkeys(found))


def group_strides(counts: list[int]) -> list[int]:
    """Row-major strides of nested group indexes: index = sum(position_k * stride_k)."""
    strides = [1] * len(counts)
    for k in range(len(counts) - 2, -1, -1):
        strides[k] = strides[k + 1] * counts[k + 1]
    return strides


def shared_prefix(task: TaskSpec, upstream: TaskSpec) -> int:
    """How many outer mapped groups the two tasks share (instance i then pairs with the same positions)."""
    shared = 0
    for mine, theirs in zip(task.mapped_group_ids, upstream.mapped_group_ids, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared
