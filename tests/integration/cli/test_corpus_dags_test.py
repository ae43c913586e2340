"""Every DAG of the corpus (tests/dags) runs through ``dags test`` — the real scheduler loop, runner and
store with the inline executor — on SQLite and PostgreSQL, and ends as its ``expect:`` block says."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dagmap.dag_processing import load_dag_file
from dagmap.services.dag_test import RunReport, run_dag_test

TESTS = Path(__file__).resolve().parents[2]
CORPUS = TESTS / "dags"
FILES = sorted(CORPUS.glob("*.py"))
LOGICAL_DATE = datetime(2024, 1, 1, tzinfo=UTC)


def _load_parser() -> Any:
    path = TESTS / "unit" / "dag_processing" / "corpus_simulator.py"
    spec = importlib.util.spec_from_file_location("corpus_simulator", path)
    assert spec and spec.loader
    module = sys.modules.get("corpus_simulator") or importlib.util.module_from_spec(spec)
    if "corpus_simulator" not in sys.modules:
        sys.modules["corpus_simulator"] = module
        spec.loader.exec_module(module)
    return module.parse_expect


parse_expect = _load_parser()


def _dag_id(path: Path) -> str:
    (dag,) = load_dag_file(path).dags
    return str(dag.dag_id)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_dag_runs_as_expected(path: Path, db_url: str) -> None:
    expect = parse_expect(path.read_text().split('"""')[1])
    report = run_dag_test(_dag_id(path), logical_date=LOGICAL_DATE, conf=expect.conf, dags_folder=CORPUS)
    states = {(ti.task_id, ti.map_index): ti.state for ti in report.task_instances}
    values = {(ti.task_id, ti.map_index): ti.return_value for ti in report.task_instances}
    names = {(ti.task_id, ti.map_index): ti.rendered_map_index for ti in report.task_instances}
    assert report.state == expect.run, _explain(report)
    for expectation in expect.tasks:
        indexes = expectation.indexes or [-1]
        for position, index in enumerate(indexes):
            key = (expectation.task_id, index)
            assert key in states, (key, sorted(states))
            if expectation.state is not None:
                assert states[key] == expectation.state, (key, _explain(report))
            if expectation.values is not None:
                assert values[key] == expectation.values[position], (key, values[key])
            if expectation.names is not None:
                assert names[key] == expectation.names[position], (key, names[key])


def _explain(report: RunReport) -> str:
    return "\n".join(
        f"{ti.task_id}[{ti.map_index}] {ti.state} try={ti.try_number} -> {ti.return_value!r}"
        for ti in report.task_instances
    )
