"""What every route needs: one committed transaction per request (as the CLI's ``transaction()``), and the
``limit`` / ``offset`` query parameters of lists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query

from dagmap.store import db
from dagmap.store.queries import Session

MAX_LIMIT = 1000
MAX_INT = 2**31 - 1
"""The largest count, index or slot number a request may give (the database's INTEGER): a larger one is a 422,
never an overflow inside the database driver."""
MAX_OFFSET = 2**62


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction on the configured database: committed when the block ends, rolled back on error."""
    with db.session_scope() as session:
        yield session


@contextmanager
def reading() -> Iterator[Session]:
    """A transaction that only reads (GET requests): on SQLite it never takes the write lock."""
    with db.read_scope() as session:
        yield session


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many (at most 1000).")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many.")] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingParams = Annotated[Paging, Depends(paging)]

MapIndex = Annotated[int, Path(ge=-1, le=MAX_INT, description="The instance's map index (-1: not mapped).")]
MapIndexQuery = Annotated[int | None, Query(ge=-1, le=MAX_INT, description="The instance's map index.")]
TryNumber = Annotated[int, Path(ge=1, le=MAX_INT, description="The try (1 for the first).")]
