"""Instance counts of mapped tasks: literals, upstream lengths, map/zip/concat, products, groups."""

from __future__ import annotations

import pytest

from dagmap.model.spec import (
    ConcatInput,
    DagSpec,
    ExpandSpec,
    LiteralInput,
    MapInput,
    TaskGroupSpec,
    TaskSpec,
    XComInput,
    ZipInput,
)
from dagmap.scheduler.expansion import (
    expand_length,
    expansion_inputs,
    group_strides,
    input_length,
    shared_prefix,
    task_instance_count,
)

LENGTHS = {"up": 3, "other": 5, "empty": 0}


def lookup(spec: XComInput) -> int | None:
    return LENGTHS.get(spec.task_id)


def product(*inputs: object) -> ExpandSpec:
    return ExpandSpec(kind="product", arguments=tuple((f"a{i}", x) for i, x in enumerate(inputs)))  # type: ignore[misc]


def test_literals_and_xcom() -> None:
    assert input_length(LiteralInput(length=4)) == 4
    assert input_length(XComInput(task_id="up"), lookup) == 3
    assert input_length(XComInput(task_id="unknown"), lookup) is None
    assert input_length(XComInput(task_id="up")) is None  # literal-only lookup: not known at run creation


def test_map_zip_concat() -> None:
    up, other = XComInput(task_id="up"), XComInput(task_id="other")
    assert input_length(MapInput(source=up), lookup) == 3
    assert input_length(ZipInput(sources=(up, other)), lookup) == 3
    assert input_length(ZipInput(sources=(up, other), longest=True), lookup) == 5
    assert input_length(ZipInput(sources=(up, LiteralInput(length=2))), lookup) == 2
    assert input_length(ConcatInput(sources=(up, other, LiteralInput(length=1))), lookup) == 9
    assert input_length(ConcatInput(sources=(up, XComInput(task_id="nope"))), lookup) is None
    assert input_length(MapInput(source=ZipInput(sources=(up, XComInput(task_id="nope")))), lookup) is None


def test_product_and_list_of_dicts() -> None:
    assert expand_length(product(LiteralInput(length=3), LiteralInput(length=2))) == 6
    assert expand_length(product(LiteralInput(length=3), LiteralInput(length=0))) == 0
    assert expand_length(product(LiteralInput(length=3), XComInput(task_id="up")), lookup) == 9
    assert expand_length(product(LiteralInput(length=3), XComInput(task_id="nope")), lookup) is None
    kwargs = ExpandSpec(kind="list_of_dicts", arguments=(("", XComInput(task_id="other")),))
    assert expand_length(kwargs, lookup) == 5


def _dag(*tasks: TaskSpec, groups: tuple[TaskGroupSpec, ...] = ()) -> DagSpec:
    return DagSpec(dag_id="d", fileloc="f.py", tasks=tasks, task_groups=groups)


def test_task_counts_with_groups() -> None:
    outer = TaskGroupSpec(group_id="g", expand=product(LiteralInput(length=2)))
    inner = TaskGroupSpec(group_id="g.h", parent_group_id="g", expand=product(XComInput(task_id="up")))
    plain = TaskSpec(task_id="plain", operator="X")
    in_outer = TaskSpec(task_id="g.a", operator="X", task_group_id="g", mapped_group_ids=("g",))
    in_inner = TaskSpec(task_id="g.h.b", operator="X", task_group_id="g.h", mapped_group_ids=("g", "g.h"))
    own = TaskSpec(task_id="own", operator="X", expand=product(XComInput(task_id="other")))
    dag = _dag(plain, in_outer, in_inner, own, groups=(outer, inner))
    assert task_instance_count(dag, plain) == 1
    assert task_instance_count(dag, in_outer) == 2
    assert task_instance_count(dag, in_inner) is None  # "up" unknown at run creation
    assert task_instance_count(dag, in_inner, lookup) == 6
    assert task_instance_count(dag, own, lookup) == 5
    assert expansion_inputs(dag, in_inner) == [XComInput(task_id="up")]
    assert expansion_inputs(dag, own) == [XComInput(task_id="other")]
    assert shared_prefix(in_inner, in_outer) == 1
    assert shared_prefix(in_inner, plain) == 0


@pytest.mark.parametrize(("counts", "strides"), [([], []), ([4], [1]), ([2, 3], [3, 1]), ([2, 3, 4], [12, 4, 1])])
def test_group_strides(counts: list[int], strides: list[int]) -> None:
    assert group_strides(counts) == strides
