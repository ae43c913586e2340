"""The reducer's lazy sequence behaves like a read-only list and loads in batches."""

from __future__ import annotations

import pytest

from dagmap.xcom.sequence import LazyXComSequence


def make(values: list[int], batch_size: int = 3) -> tuple[LazyXComSequence, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []

    def load(offset: int, limit: int) -> list[int]:
        calls.append((offset, limit))
        return values[offset : offset + limit]

    return LazyXComSequence(length=len(values), load_batch=load, batch_size=batch_size), calls


def test_len_costs_no_load() -> None:
    seq, calls = make(list(range(10)))
    assert len(seq) == 10
    assert calls == []


def test_indexing_negative_and_slices() -> None:
    seq, _ = make(list(range(10)))
    assert seq[0] == 0
    assert seq[4] == 4
    assert seq[-1] == 9
    assert seq[2:7] == [2, 3, 4, 5, 6]
    assert seq[::-3] == [9, 6, 3, 0]
    with pytest.raises(IndexError):
        seq[10]
    with pytest.raises(IndexError):
        seq[-11]
    with pytest.raises(TypeError):
        seq["a"]  # type: ignore[call-overload]


def test_iteration_loads_each_batch_once() -> None:
    seq, calls = make(list(range(10)), batch_size=4)
    assert list(seq) == list(range(10))
    assert calls == [(0, 4), (4, 4), (8, 4)]
    assert sum(seq) == 45


def test_equality_bool_and_repr() -> None:
    seq, _ = make([1, 2, 3])
    assert seq == [1, 2, 3]
    assert seq == (1, 2, 3)
    assert seq != [1, 2]
    assert bool(seq)
    empty, _ = make([])
    assert not empty
    assert empty == []
    assert repr(seq) == "LazyXComSequence([1, 2, 3], len=3)"
    with pytest.raises(TypeError):
        hash(seq)


def test_cache_is_bounded() -> None:
    seq, calls = make(list(range(100)), batch_size=10)
    for _ in range(2):
        for index in (0, 15, 25, 35, 45, 55):
            seq[index]
    # 6 batches touched round-robin with a 4-batch cache: every access in the second round reloads.
    assert len(calls) == 12
