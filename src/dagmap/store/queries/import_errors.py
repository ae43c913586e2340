"""Import errors: one row per DAG file that failed to load, replaced on every parse, removed once it loads."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dagmap.store.orm import ImportErrorRow

MAX_ERROR_LENGTH = 64 * 1024


def replace(session: Session, errors: Mapping[str, str], *, parsed: Collection[str], now: datetime) -> None:
    """Every file in ``parsed`` loses its old error; those in ``errors`` (filename -> text) get the new one."""
    files = sorted(set(parsed) | set(errors))
    if files:
        session.execute(delete(ImportErrorRow).where(ImportErrorRow.filename.in_(files)))
    for filename, error in sorted(errors.items()):
        session.add(ImportErrorRow(filename=filename, error=error[:MAX_ERROR_LENGTH], timestamp=now))
    session.flush()


def add(session: Session, filename: str, error: str, *, now: datetime) -> None:
    """Add ``error`` to the file's import error (created if it has none)."""
    row = session.execute(select(ImportErrorRow).where(ImportErrorRow.filename == filename)).scalar_one_or_none()
    if row is None:
        session.add(ImportErrorRow(filename=filename, error=error[:MAX_ERROR_LENGTH], timestamp=now))
    elif error not in row.error:
        row.error, row.timestamp = f"{row.error}\n\n{error}"[:MAX_ERROR_LENGTH], now
    session.flush()


def clear_except(session: Session, present: Collection[str]) -> int:
    """Errors of files that no longer exist go away; returns how many."""
    statement = delete(ImportErrorRow)
    if present:
        statement = statement.where(ImportErrorRow.filename.not_in(sorted(present)))
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def list_errors(session: Session) -> list[ImportErrorRow]:
    """Every recorded import error, by file name."""
    return list(session.execute(select(ImportErrorRow).order_by(ImportErrorRow.filename)).scalars())
