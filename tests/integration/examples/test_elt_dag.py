"""The ``mapping_elt`` DAG file: the seed's shape, its SQL files render, and the default warehouse.

No services: the DAG is only parsed (its S3 listing runs inside a task, never while parsing).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dagmap.connections import Connection
from dagmap.dag_processing import load_dag_file
from dagmap.sdk.dag import DAG
from dagmap.sdk.mapped_operator import MappedOperator

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "dags"
INCLUDE = EXAMPLES / "include"


def load(monkeypatch: pytest.MonkeyPatch, warehouse: str | None = "duckdb://") -> DAG:
    monkeypatch.setenv("DAGMAP_CONN_WAREHOUSE", "set so that monkeypatch restores its absence")
    if warehouse is None:
        monkeypatch.delenv("DAGMAP_CONN_WAREHOUSE")
    else:
        monkeypatch.setenv("DAGMAP_CONN_WAREHOUSE", warehouse)
    monkeypatch.delenv("AIRFLOW_CONN_WAREHOUSE", raising=False)
    result = load_dag_file(EXAMPLES / "mapping_elt.py")
    assert result.import_errors == []
    (dag,) = result.dags
    assert isinstance(dag, DAG)
    return dag


def test_the_dag_has_the_seed_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    dag = load(monkeypatch)
    assert dag.dag_id == "mapping_elt"
    assert dag.start_date == datetime(2022, 4, 2, tzinfo=UTC)
    assert dag.schedule == "@daily"
    assert dag.catchup is False
    tasks = dag.task_dict
    assert set(tasks) == {
        "get_s3_files",
        "create_landing_table",
        "copy_to_warehouse",
        "move_s3",
        "transform_in_warehouse",
        "delete_landing_files",
    }
    assert isinstance(tasks["copy_to_warehouse"], MappedOperator)
    assert isinstance(tasks["move_s3"], MappedOperator)
    assert tasks["copy_to_warehouse"].upstream_task_ids == {"get_s3_files", "create_landing_table"}
    assert tasks["move_s3"].upstream_task_ids == {"get_s3_files", "copy_to_warehouse"}
    assert tasks["transform_in_warehouse"].upstream_task_ids == {"copy_to_warehouse"}
    assert tasks["delete_landing_files"].upstream_task_ids == {"move_s3"}


def test_the_sql_files_render_for_a_day() -> None:
    import jinja2

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    context = {"ds": "2022-04-12", "ds_nodash": "20220412"}
    landing = environment.from_string((INCLUDE / "elt_landing.sql").read_text()).render(context)
    assert "DROP TABLE IF EXISTS elt_landing_20220412;" in landing
    assert "CREATE TABLE elt_landing_20220412 (" in landing
    transform = environment.from_string((INCLUDE / "transform.sql").read_text()).render(context)
    assert "DELETE FROM elt_orders WHERE ds = DATE '2022-04-12';" in transform
    assert "DROP TABLE elt_landing_20220412;" in transform


def test_without_a_warehouse_connection_the_dag_uses_duckdb_under_dagmap_home(
    monkeypatch: pytest.MonkeyPatch, dagmap_home: Path
) -> None:
    load(monkeypatch, warehouse=None)
    connection = Connection.from_env_value("warehouse", os.environ["DAGMAP_CONN_WAREHOUSE"])
    assert (connection.conn_type, connection.host) == ("duckdb", str(dagmap_home / "elt_warehouse.duckdb"))


def test_a_warehouse_connection_in_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = "postgresql://etl@db.internal:5432/analytics"
    load(monkeypatch, warehouse=uri)
    assert os.environ["DAGMAP_CONN_WAREHOUSE"] == uri
