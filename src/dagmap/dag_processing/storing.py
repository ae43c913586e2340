"""Storing what the DAG file processor's children parsed: serialized DAGs and ``dag`` rows (new ones paused or
not, next automated run), DAGs no longer defined made inactive, import errors replaced. One transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime

from dagmap.dag_processing.parse_child import ParsedFile
from dagmap.model.spec import DagSpec, dag_spec_from_json
from dagmap.scheduler.maintenance import next_dagruns
from dagmap.store import db
from dagmap.store.queries import Session, dags, import_errors, serialized_dags

log = logging.getLogger(__name__)


def store_parsed_files(
    url: str, parsed: Sequence[ParsedFile], *, present: Collection[str], new_dags_paused: bool, now: datetime
) -> None:
    """Store the results of these files. A DAG id that an existing file (in ``present``) already defines
    becomes an import error of the later file, as in Airflow."""
    with db.session_factory(url).begin() as session:
        for result in parsed:
            _store_one(session, result, present=set(present), new_dags_paused=new_dags_paused, now=now)


def _store_one(
    session: Session, parsed: ParsedFile, *, present: set[str], new_dags_paused: bool, now: datetime
) -> None:
    errors = dict(parsed.errors)
    specs: list[DagSpec] = [dag_spec_from_json(text) for text in parsed.specs]
    owners = dags.owners(session, [spec.dag_id for spec in specs])
    kept: list[DagSpec] = []
    for spec in specs:
        owner = owners.get(spec.dag_id)
        if owner is not None and owner != spec.fileloc and owner in present:
            # Two files define the id: the one whose path sorts first keeps it, whichever was parsed first.
            first, second = sorted((owner, spec.fileloc))
            message = f"{second}: DAG id {spec.dag_id!r} is already defined in {first}"
            if second == spec.fileloc:
                previous = errors.get(parsed.filename)
                errors[parsed.filename] = f"{previous}\n\n{message}" if previous else message
                continue
            import_errors.add(session, owner, message, now=now)
        kept.append(spec)
    dags.create_missing(
        session,
        {
            s.dag_id: s.is_paused_upon_creation if s.is_paused_upon_creation is not None else new_dags_paused
            for s in kept
        },
        {s.dag_id: s.fileloc for s in kept},
    )
    changed = []
    hashes = serialized_dags.spec_hashes(session, [s.dag_id for s in kept])
    for spec in kept:
        digest = serialized_dags.upsert(session, spec, now=now)
        if hashes.get(spec.dag_id) != digest:
            changed.append(spec.dag_id)
    # A file that failed (in part) keeps its DAGs' last good versions, as in Airflow; one that loaded
    # cleanly no longer defines the DAGs it left out.
    gone = [] if errors else dags.deactivate(session, filelocs=[parsed.filename], keep=[s.dag_id for s in kept])
    if gone:
        log.info("%s no longer defines %s: made inactive", parsed.filename, ", ".join(gone))
    dags.set_next_dagruns(session, next_dagruns(session, [s.dag_id for s in kept], now))
    import_errors.replace(session, errors, parsed=[parsed.filename], now=now)
    if changed:
        log.info("stored DAG(s) %s from %s", ", ".join(changed), parsed.filename)


def forget_missing_files(url: str, present: Collection[str], now: datetime) -> None:
    """DAGs of files that no longer exist become inactive; those files' import errors go away."""
    with db.session_factory(url).begin() as session:
        gone = dags.active_filelocs(session) - set(present)
        inactive = dags.deactivate(session, filelocs=gone)
        if inactive:
            log.info("DAG file(s) removed: %s made inactive", ", ".join(inactive))
        import_errors.clear_except(session, present)
