"""Serialized DAGs: store a DagSpec (``dag`` + ``serialized_dag`` rows, keyed by its hash) and load it back.

Parsed specs are cached in-process by hash, so a scheduler step reads one short hash per DAG, not the JSON.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dagmap.errors import DagNotFound
from dagmap.model.spec import DagSpec, dag_spec_from_json, dag_spec_to_json, spec_hash
from dagmap.store.orm import DagRow, SerializedDagRow
from dagmap.store.queries import assets
from dagmap.store.queries._sql import insert_missing, utcnow

CACHE_SIZE = 256
_cache: OrderedDict[str, DagSpec] = OrderedDict()
_lock = threading.Lock()


def _remember(digest: str, spec: DagSpec) -> None:
    with _lock:
        _cache[digest] = spec
        _cache.move_to_end(digest)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _cached(digest: str) -> DagSpec | None:
    with _lock:
        spec = _cache.get(digest)
        if spec is not None:
            _cache.move_to_end(digest)
        return spec


def _owners(spec: DagSpec) -> str:
    owners = dict.fromkeys(task.owner for task in spec.tasks) or {spec.owner: None}
    return ", ".join(owners)[:2000]


def upsert(session: Session, spec: DagSpec, *, now: datetime | None = None) -> str:
    """Store the spec unless the same version (hash) is already stored; returns its hash."""
    now = now or utcnow()
    text = dag_spec_to_json(spec)
    digest = spec_hash(text)
    serialized = session.get(SerializedDagRow, spec.dag_id)
    if serialized is None or serialized.spec_hash != digest:
        assets.sync_references(session, spec, now)
    if serialized is None:  # another DAG processor may store it meanwhile: its version is replaced below
        row = {"dag_id": spec.dag_id, "fileloc": spec.fileloc, "data": text, "spec_hash": digest, "updated_at": now}
        if not insert_missing(session, SerializedDagRow, "dag_id", [row]):
            serialized = session.get(SerializedDagRow, spec.dag_id, populate_existing=True)
    if serialized is not None and serialized.spec_hash != digest:
        serialized.data, serialized.spec_hash, serialized.fileloc, serialized.updated_at = (
            text,
            digest,
            spec.fileloc,
            now,
        )
    dag = session.get(DagRow, spec.dag_id)
    if dag is None:
        row = {"dag_id": spec.dag_id, "fileloc": spec.fileloc, "is_paused": bool(spec.is_paused_upon_creation)}
        insert_missing(session, DagRow, "dag_id", [row])
        dag = session.get(DagRow, spec.dag_id, populate_existing=True)
        assert dag is not None
    dag.fileloc = spec.fileloc
    dag.is_active = True
    dag.last_parsed_at = now
    dag.description = spec.description
    dag.owners = _owners(spec)
    dag.tags = list(spec.tags)
    dag.timetable_summary = spec.timetable_summary
    dag.max_active_runs = spec.max_active_runs
    dag.max_active_tasks = spec.max_active_tasks
    dag.spec_hash = digest
    session.flush()
    _remember(digest, spec)
    return digest


upsert_dag_spec = upsert


def load(session: Session, dag_id: str) -> DagSpec:
    """The stored spec of a DAG (DagNotFound when there is none)."""
    specs = load_many(session, [dag_id])
    if dag_id not in specs:
        raise DagNotFound(dag_id=dag_id)
    return specs[dag_id]


load_dag_spec = load


def load_many(session: Session, dag_ids: Collection[str]) -> dict[str, DagSpec]:
    """Specs of several DAGs (those that are stored)."""
    return {dag_id: spec for dag_id, (_, spec) in load_versions(session, dag_ids).items()}


def load_versions(session: Session, dag_ids: Collection[str]) -> dict[str, tuple[str, DagSpec]]:
    """``{dag_id: (hash, spec)}``: one query for the hashes, one more only for specs not cached yet."""
    if not dag_ids:
        return {}
    hashes = spec_hashes(session, dag_ids)
    found: dict[str, tuple[str, DagSpec]] = {}
    missing: list[str] = []
    for dag_id, digest in hashes.items():
        spec = _cached(digest)
        if spec is None:
            missing.append(dag_id)
        else:
            found[dag_id] = (digest, spec)
    if missing:
        rows = session.execute(
            select(SerializedDagRow.dag_id, SerializedDagRow.spec_hash, SerializedDagRow.data).where(
                SerializedDagRow.dag_id.in_(missing)
            )
        )
        for dag_id, digest, data in rows:
            spec = dag_spec_from_json(data)
            _remember(digest, spec)
            found[dag_id] = (digest, spec)
    return found


def spec_hashes(session: Session, dag_ids: Collection[str]) -> dict[str, str]:
    rows = session.execute(
        select(SerializedDagRow.dag_id, SerializedDagRow.spec_hash).where(SerializedDagRow.dag_id.in_(sorted(dag_ids)))
    )
    return {dag_id: digest for dag_id, digest in rows}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
