"""The CLI over real databases: ``dags test`` exit codes and JSON, ``dags list``, ``tasks test --map-index``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dagmap.cli.main import app

CORPUS = Path(__file__).resolve().parents[2] / "dags"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_dags_test_json_is_one_object_with_every_instance(db_url: str) -> None:
    code, out, _ = invoke("dags", "test", "mapping_reducer", "2024-01-01", "--dags-folder", str(CORPUS), "--json")
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"dag_id", "run_id", "logical_date", "state", "task_instances"}
    assert report["state"] == "success"
    assert report["logical_date"] == "2024-01-01T00:00:00+00:00"
    squares = sorted(
        (ti["map_index"], ti["return_value"], ti["try_number"])
        for ti in report["task_instances"]
        if ti["task_id"] == "square"
    )
    assert squares == [(0, 0, 1), (1, 1, 1), (2, 4, 1), (3, 9, 1)]
    for ti in report["task_instances"]:
        assert set(ti) == {"task_id", "map_index", "state", "try_number", "rendered_map_index", "return_value"}


def test_dags_test_exit_codes(db_url: str, tmp_path: Path) -> None:
    code, _, _ = invoke("dags", "test", "mapping_failed_instance", "--dags-folder", str(CORPUS))
    assert code == 1
    code, _, err = invoke("dags", "test", "no_such_dag", "--dags-folder", str(CORPUS))
    assert code == 2
    assert "no_such_dag" in err
    (tmp_path / "broken.py").write_text("from dagmap import DAG\nwith DAG('broken') as dag:\n    x = (\n")
    code, _, err = invoke("dags", "test", "broken", "--dags-folder", str(tmp_path))
    assert code == 2
    assert "broken.py" in err


def test_dags_list_reports_import_errors_without_hiding_good_dags(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(
        "from datetime import datetime\nfrom dagmap import DAG\nfrom dagmap.operators import EmptyOperator\n"
        "with DAG('good', start_date=datetime(2024, 1, 1), schedule='@daily'):\n    EmptyOperator(task_id='e')\n"
    )
    (tmp_path / "bad.py").write_text("from dagmap import DAG\nimport no_such_module_here\n")
    code, out, _ = invoke("dags", "list", "--dags-folder", str(tmp_path), "--json")
    assert code == 0
    listing = json.loads(out)
    assert [d["dag_id"] for d in listing["dags"]] == ["good"]
    assert listing["dags"][0]["fileloc"].endswith("good.py")
    assert len(listing["import_errors"]) == 1
    assert listing["import_errors"][0]["filename"].endswith("bad.py")
    assert "no_such_module_here" in listing["import_errors"][0]["error"]


def test_dags_list_shows_whether_each_stored_dag_is_paused(db_url: str, tmp_path: Path) -> None:
    for dag_id in ("kept", "held", "new"):
        (tmp_path / f"{dag_id}.py").write_text(
            "from datetime import datetime\nfrom dagmap import DAG\nfrom dagmap.operators import EmptyOperator\n"
            f"with DAG('{dag_id}', start_date=datetime(2024, 1, 1), schedule=None):\n    EmptyOperator(task_id='e')\n"
        )
    for command in (("unpause", "kept"), ("pause", "held")):
        assert invoke("dags", *command, "--dags-folder", str(tmp_path))[0] == 0
    code, out, _ = invoke("dags", "list", "--dags-folder", str(tmp_path), "--json")
    assert code == 0
    assert {d["dag_id"]: d["is_paused"] for d in json.loads(out)["dags"]} == {"held": True, "kept": False, "new": None}
    code, out, _ = invoke("dags", "list", "--dags-folder", str(tmp_path))
    assert [line.split("│")[-2].strip() for line in out.splitlines() if "│ " in line] == ["yes", "no", "not stored"]


def test_tasks_test_runs_one_mapped_instance_again(db_url: str, dagmap_home: Path) -> None:
    assert invoke("dags", "test", "mapping_reducer", "2024-01-01", "--dags-folder", str(CORPUS))[0] == 0
    code, out, _ = invoke(
        "tasks", "test", "mapping_reducer", "square", "2024-01-01", "--map-index", "2", "--dags-folder", str(CORPUS)
    )
    assert code == 0
    assert "square[2]: success" in out
    assert "return value: 4" in out
    log = next(dagmap_home.glob("logs/dag_id=mapping_reducer/run_id=*/task_id=square/map_index=2/attempt=2.log"))
    assert "Starting mapping_reducer.square[2]" in log.read_text()


@pytest.mark.parametrize(
    ("map_index", "message"),
    [("9", "has no map index 9"), ("-1", "is mapped into 4 instances")],
)
def test_tasks_test_refuses_a_map_index_the_run_does_not_have(db_url: str, map_index: str, message: str) -> None:
    assert invoke("dags", "test", "mapping_reducer", "2024-01-01", "--dags-folder", str(CORPUS))[0] == 0
    code, _, err = invoke(
        "tasks", "test", "mapping_reducer", "square", "2024-01-01", "--map-index", map_index,
        "--dags-folder", str(CORPUS),
    )  # fmt: skip
    assert code == 2
    assert message in err


def test_db_migrate_and_reset(dagmap_home: Path) -> None:
    code, out, _ = invoke("db", "migrate")
    assert code == 0
    assert "database ready" in out
    assert (dagmap_home / "dagmap.db").is_file()
    assert invoke("dags", "test", "mapping_reducer", "--dags-folder", str(CORPUS))[0] == 0
    code, out, _ = invoke("db", "reset", "--yes")
    assert code == 0
    code, out, _ = invoke("dags", "test", "mapping_reducer", "--dags-folder", str(CORPUS), "--json")
    assert code == 0
    assert json.loads(out)["state"] == "success"
