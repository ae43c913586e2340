"""Every DAG file of tests/dags loads without import errors, states an ``expect:`` block, and (simulated in
memory with the SDK runtime) ends in exactly the states and XCom values it states."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_simulator import Outcome, parse_expect, simulate

from dagmap.dag_processing import load_dag_file, load_dags_folder
from dagmap.errors import XComNotFound

CORPUS = Path(__file__).resolve().parents[2] / "dags"
FILES = sorted(p for p in CORPUS.glob("*.py"))


def test_the_corpus_folder_loads_without_import_errors() -> None:
    result = load_dags_folder(CORPUS)
    assert result.import_errors == []
    assert len(result.dags) == len(FILES)
    assert not any("seed_include" in f for f in result.files), ".dagmapignore keeps helpers out"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_file_ends_as_its_docstring_says(path: Path) -> None:
    loaded = load_dag_file(path)
    assert loaded.import_errors == []
    (dag,) = loaded.dags
    expect = parse_expect(path.read_text().split('"""')[1])
    outcome = simulate(dag, conf=expect.conf)
    assert expect.run == outcome.run_state, outcome.errors
    for expectation in expect.tasks:
        indexes = expectation.indexes or [-1]
        if expectation.indexes is not None:
            assert set(indexes) <= set(outcome.instances(expectation.task_id)), expectation
        for position, index in enumerate(indexes):
            key = (expectation.task_id, index)
            if expectation.state is not None:
                assert outcome.states.get(key) == expectation.state, (key, outcome.states)
            if expectation.values is not None:
                value = expectation.values[position]
                pushed = outcome.xcom.get_value(*key) if value is not None else None
                assert (value is None and key not in _pushed_keys(outcome)) or pushed == value, (key, pushed, value)
            if expectation.names is not None:
                assert outcome.names.get(key) == expectation.names[position], (key, outcome.names)


def _pushed_keys(outcome: Outcome) -> set[tuple[str, int]]:
    return {(t, i) for (t, i) in outcome.states if outcome.xcom.pushed_count(t) and _has(outcome, t, i)}


def _has(outcome: Outcome, task_id: str, index: int) -> bool:
    try:
        outcome.xcom.get_value(task_id, index)
    except XComNotFound:
        return False
    return True
