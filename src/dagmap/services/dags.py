"""DAG-level use-cases shared by the CLI and the API: the stored spec of a DAG (parsed from the DAGs folder
and stored when missing, for the CLI only), pause / unpause, and the state of one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagmap.errors import DagNotFound, DagRunNotFound
from dagmap.model.spec import DagSpec
from dagmap.store.queries import Session, dag_runs, dags, management, serialized_dags


@dataclass(frozen=True)
class RunSummary:
    dag_id: str
    run_id: str
    state: str
    run_type: str
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    queued_at: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    conf: dict[str, Any]

    @classmethod
    def of(cls, row: Any) -> RunSummary:
        """From a ``dag_run`` row."""
        return cls(
            dag_id=row.dag_id,
            run_id=row.run_id,
            state=row.state,
            run_type=row.run_type,
            logical_date=row.logical_date,
            data_interval_start=row.data_interval_start,
            data_interval_end=row.data_interval_end,
            queued_at=row.queued_at,
            start_date=row.start_date,
            end_date=row.end_date,
            conf=dict(row.conf or {}),
        )

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "state": self.state,
            "run_type": self.run_type,
            "logical_date": iso(self.logical_date),
            "data_interval_start": iso(self.data_interval_start),
            "data_interval_end": iso(self.data_interval_end),
            "queued_at": iso(self.queued_at),
            "start_date": iso(self.start_date),
            "end_date": iso(self.end_date),
            "conf": self.conf,
        }


def get_spec(session: Session, dag_id: str, *, dags_folder: Path | None = None) -> DagSpec:
    """The DAG's stored spec. When none is stored and ``dags_folder`` is given, the folder is parsed (user
    code runs here, as in ``dags test``) and the DAG stored; else DagNotFound."""
    specs = serialized_dags.load_many(session, [dag_id])
    if dag_id in specs:
        return specs[dag_id]
    if dags_folder is None:
        raise DagNotFound("is not in the database (has the DAG processor parsed it?)", dag_id=dag_id)
    from dagmap.model.from_sdk import dag_to_spec
    from dagmap.services.loading import find_dag

    spec = dag_to_spec(find_dag(dag_id, dags_folder))
    serialized_dags.upsert(session, spec)
    return spec


def set_paused(session: Session, dag_id: str, paused: bool, *, dags_folder: Path | None = None) -> bool:
    """Pause or unpause a DAG (its runs are not scheduled while paused); returns whether it was paused before."""
    before = is_paused(session, dag_id)
    if before is None:
        get_spec(session, dag_id, dags_folder=dags_folder)
        before = bool(is_paused(session, dag_id))
    dags.set_paused(session, dag_id, paused)
    return before


def is_paused(session: Session, dag_id: str) -> bool | None:
    """The DAG's pause flag; None when it has no ``dag`` row yet."""
    return dags.paused_flags(session, [dag_id]).get(dag_id)


def stored_pause_flags(dag_ids: list[str]) -> dict[str, bool]:
    """The pause flags of those DAGs the configured database has rows for (none when it does not exist yet:
    listing DAGs never creates a database)."""
    from dagmap.store import db

    if not db.is_migrated():
        return {}
    with db.session_scope() as session:
        return dags.paused_flags(session, dag_ids)


def find_run(session: Session, dag_id: str, run: str) -> RunSummary:
    """A run by run id or, failing that, by logical date (``2024-01-01`` or ISO 8601, naive = UTC)."""
    found = dag_runs.find_dag_runs(session, [(dag_id, run)])
    if found:
        return RunSummary.of(found[0])
    logical_date = _as_date(run)
    row = management.run_at(session, dag_id, logical_date) if logical_date else None
    if row is not None:
        return RunSummary.of(row)
    if not management.dag_is_known(session, dag_id):
        raise DagNotFound(dag_id=dag_id)
    raise DagRunNotFound(f"no run with run id or logical date {run!r}", dag_id=dag_id)


def dag_run_state(session: Session, dag_id: str, run: str) -> str:
    """The state of a run given by run id or logical date."""
    return find_run(session, dag_id, run).state


def _as_date(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
