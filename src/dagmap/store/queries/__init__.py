"""Set-based queries over the metadata database. Every function takes a ``Session``; the caller owns the
transaction (commit or roll back). Task instance states change only in ``task_instances``.

``Session`` and ``SessionFactory`` are re-exported so that callers outside the store name them without
importing SQLAlchemy themselves.
"""

from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]

__all__ = ["Session", "SessionFactory"]
