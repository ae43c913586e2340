"""The lazy, ordered sequence a reducer receives over a mapped task's pushed values.

Values are fetched in batches on demand, so a reducer over 10,000 instances never holds them all unless it
asks for all of them; ``len`` costs one count, not a load.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload


class LazyXComSequence(Sequence[Any]):
    """Behaves like a read-only list: ``len``, int and negative indexes, slices, iteration, ``==`` with lists."""

    def __init__(
        self,
        *,
        length: int,
        load_batch: Callable[[int, int], Sequence[Any]],
        batch_size: int = 1000,
        cached_batches: int = 4,
        description: str = "mapped values",
    ) -> None:
        self._length = length
        self._load_batch = load_batch
        self._batch_size = batch_size
        self._cache: OrderedDict[int, Sequence[Any]] = OrderedDict()
        self._cached_batches = cached_batches
        self._description = description

    def __len__(self) -> int:
        return self._length

    def _batch(self, number: int) -> Sequence[Any]:
        batch = self._cache.get(number)
        if batch is None:
            batch = self._load_batch(number * self._batch_size, self._batch_size)
            self._cache[number] = batch
            if len(self._cache) > self._cached_batches:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(number)
        return batch

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if not isinstance(index, int):
            raise TypeError(f"sequence indices must be integers or slices, not {type(index).__name__}")
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(f"index out of range for {self._description} of length {self._length}")
        number, offset = divmod(index, self._batch_size)
        return self._batch(number)[offset]

    def __iter__(self) -> Iterator[Any]:
        for number in range((self._length + self._batch_size - 1) // self._batch_size):
            yield from self._batch(number)

    def __bool__(self) -> bool:
        return self._length > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyXComSequence | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:  # a sequence that compares equal to lists must not be hashable
        raise TypeError("unhashable type: 'LazyXComSequence'")

    def __repr__(self) -> str:
        items = ", ".join(repr(value) for value in self[:5])
        more = ", ..." if self._length > 5 else ""
        return f"LazyXComSequence([{items}{more}], len={self._length})"

    def to_list(self) -> list[Any]:
        return list(self)
