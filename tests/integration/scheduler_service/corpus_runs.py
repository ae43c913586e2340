"""The corpus (tests/dags) as runs of a database: every DAG stored with one queued run, checked against its
``expect:`` block once finished. Shared by the tests that run the corpus through a real ``dagmap scheduler``
(LocalExecutor here, CeleryExecutor in tests/integration/celery_service)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from service_harness import query

from dagmap.dag_processing import load_dag_file
from dagmap.model.from_sdk import dag_to_spec
from dagmap.services.dag_test import build_report
from dagmap.states import DagRunType
from dagmap.store import db
from dagmap.store.orm import DagRunRow
from dagmap.store.queries import dag_runs, serialized_dags
from dagmap.store.runtime_client import DirectRuntimeClient
from dagmap.xcom.backends import xcom_storage_from_settings

TESTS = Path(__file__).resolve().parents[2]
CORPUS = TESTS / "dags"
FILES = sorted(CORPUS.glob("*.py"))
LOGICAL_DATE = datetime(2024, 1, 1, tzinfo=UTC)
RUN_ID = "manual__corpus"
RACES = {("mapping_trigger_rules", "rule_all_success"): {"upstream_failed", "skipped"}}
"""Outcomes that depend on which upstream instance ends first when instances run in parallel: all_success
is decided early, skipped by the first skipped upstream and upstream_failed by the first failed one (as in
Airflow); ``dags test`` runs instances one by one, in map index order, so the failure always comes first."""
if str(TESTS / "unit" / "dag_processing") not in sys.path:
    sys.path.insert(0, str(TESTS / "unit" / "dag_processing"))

from corpus_simulator import parse_expect  # noqa: E402  (after the path is set)


def trigger_all(url: str) -> dict[str, object]:
    """Store every corpus DAG and create its run (queued); returns each DAG's expectations."""
    expectations: dict[str, object] = {}
    with db.session_factory(url).begin() as session:
        for path in FILES:
            (dag,) = load_dag_file(path).dags
            spec = dag_to_spec(dag)
            expect = parse_expect(path.read_text().split('"""')[1])
            serialized_dags.upsert(session, spec)
            dag_runs.create_dag_run(
                session, spec, run_id=RUN_ID, logical_date=LOGICAL_DATE, run_type=DagRunType.MANUAL, conf=expect.conf
            )
            expectations[spec.dag_id] = expect
    return expectations


def unfinished(url: str) -> list[str]:
    """The corpus DAGs whose run has not ended yet."""
    rows = query(url, lambda s: s.query(DagRunRow.dag_id, DagRunRow.state).filter_by(run_id=RUN_ID).all())
    return [dag_id for dag_id, state in rows if state not in ("success", "failed")]


def check(url: str, dag_id: str, expect: object) -> list[str]:
    """How the finished run of ``dag_id`` differs from its expectations (nothing: as expected)."""
    report = build_report(dag_id, RUN_ID, DirectRuntimeClient(db.session_factory(url), xcom_storage_from_settings()))
    problems = []
    if report.state != expect.run:  # type: ignore[attr-defined]
        problems.append(f"{dag_id}: run {report.state}, expected {expect.run}")  # type: ignore[attr-defined]
    found = {(ti.task_id, ti.map_index): ti for ti in report.task_instances}
    for expectation in expect.tasks:  # type: ignore[attr-defined]
        for position, index in enumerate(expectation.indexes or [-1]):
            ti = found.get((expectation.task_id, index))
            if ti is None:
                problems.append(f"{dag_id}: no instance {expectation.task_id}[{index}]")
                continue
            allowed = RACES.get((dag_id, ti.task_id), {expectation.state})
            if expectation.state is not None and ti.state not in allowed:
                problems.append(f"{dag_id}: {ti.task_id}[{index}] is {ti.state}, expected {expectation.state}")
            wanted = expectation.values[position] if expectation.values is not None else None
            if wanted is not None and ti.return_value != wanted:
                problems.append(f"{dag_id}: {ti.task_id}[{index}] returned {ti.return_value!r}, expected {wanted!r}")
            name = expectation.names[position] if expectation.names is not None else None
            if name is not None and ti.rendered_map_index != name:
                problems.append(f"{dag_id}: {ti.task_id}[{index}] is named {ti.rendered_map_index!r}, not {name!r}")
    return problems


def check_all(url: str, expectations: dict[str, object]) -> list[str]:
    """Every difference between the finished corpus runs and their expectations."""
    return [problem for dag_id, expect in sorted(expectations.items()) for problem in check(url, dag_id, expect)]
