"""The DAG in docs/setup-teardown.md runs through ``dags test`` and ends as the document says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from dagmap.services.dag_test import run_dag_test

DOC = Path(__file__).resolve().parents[3] / "docs" / "setup-teardown.md"


def test_setup_teardown_doc_dag_runs_as_described(db_url: str, tmp_path: Path) -> None:
    (block,) = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.MULTILINE | re.DOTALL)
    dags = tmp_path / "doc_dags"
    dags.mkdir()
    (dags / "setup_teardown_doc.py").write_text(block)
    report = run_dag_test("setup_teardown_doc", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=dags)
    results = {(ti.task_id, ti.map_index): (ti.state, ti.return_value) for ti in report.task_instances}
    assert results == {
        ("create_bucket", -1): ("success", "bucket-1"),
        ("divide", 0): ("success", 10.0),
        ("divide", 1): ("failed", None),
        ("divide", 2): ("success", 5.0),
        ("delete_bucket", -1): ("success", "deleted bucket-1"),
    }
    assert report.state == "failed"
