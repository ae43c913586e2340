"""Two DAG processors storing the same new DAG at the same moment: the second waits for the first and
leaves its rows alone, instead of failing on the duplicate key (which stopped the losing processor)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dagmap.store.orm import DagRow, SerializedDagRow
from dagmap.store.queries import dags, serialized_dags


def test_a_dag_created_by_another_transaction_meanwhile_is_left_alone(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("racing", specs.task("a"))
    outcome: dict[str, object] = {}
    first_inserted = threading.Event()

    def second_processor() -> None:
        first_inserted.wait(30)
        try:
            with sessions.begin() as session:  # blocks on the first one's uncommitted rows, then finds them
                outcome["created"] = dags.create_missing(session, {"racing": True}, {"racing": "/other.py"})
                outcome["hash"] = serialized_dags.upsert(session, spec)
        except Exception as error:
            outcome["error"] = error

    second = threading.Thread(target=second_processor)
    second.start()
    with sessions.begin() as session:
        assert dags.create_missing(session, {"racing": False}, {"racing": spec.fileloc}) == 1
        digest = serialized_dags.upsert(session, spec)
        first_inserted.set()
        second.join(0.5)  # on PostgreSQL it is now waiting for this transaction (on SQLite, for the lock)
    second.join(30)
    assert not second.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome == {"created": 0, "hash": digest}
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DagRow)) == 1
        assert session.scalar(select(func.count()).select_from(SerializedDagRow)) == 1
        assert session.get(DagRow, "racing").is_paused is False  # type: ignore[union-attr]  # the first one's
