"""What every route needs: one committed transaction per request (as the CLI's ``transaction()``), and the
``limit`` / ``offset`` query parameters of lists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from dagmap.store import db
from dagmap.store.queries import Session

MAX_LIMIT = 1000


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction on the configured database: committed when the block ends, rolled back on error."""
    with db.session_scope() as session:
        yield session


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many (at most 1000).")] = 100,
    offset: Annotated[int, Query(ge=0, description="Skip this many.")] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingParams = Annotated[Paging, Depends(paging)]
