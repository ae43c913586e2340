"""The DAG in docs/sensors.md runs through ``dags test`` and ends as the document says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from dagmap.config import get_settings
from dagmap.services.dag_test import run_dag_test

DOC = Path(__file__).resolve().parents[3] / "docs" / "sensors.md"


def test_sensors_doc_dag_runs_as_described(db_url: str, tmp_path: Path) -> None:
    (block,) = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.MULTILINE | re.DOTALL)
    dags = tmp_path / "doc_dags"
    dags.mkdir()
    (dags / "sensors_doc.py").write_text(block)
    report = run_dag_test("sensors_doc", logical_date=datetime(2024, 1, 1, tzinfo=UTC), dags_folder=dags)
    results = {ti.task_id: (ti.state, ti.return_value) for ti in report.task_instances}
    assert results == {
        "start_export": ("success", str(get_settings().home / "export.csv")),
        "landed": ("success", None),
        "rows_ready": ("success", 1),
        "never": ("skipped", None),
    }
    assert report.state == "success"
