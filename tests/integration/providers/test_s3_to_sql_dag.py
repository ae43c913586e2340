"""A whole DAG run: list S3 objects, cut them into batches, load each batch with a mapped S3ToSqlOperator
instance, then count the rows with SQLExecuteQueryOperator (``dags test`` machinery, inline executor)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dagmap.config import reset_settings
from dagmap.connections import Connection
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.sql import SqlHook
from dagmap.services.dag_test import run_dag_test
from dagmap.store.db import dispose_engines

DAG_FILE = """
from dagmap import DAG, task
from dagmap.providers.amazon.operators.s3 import S3ListOperator
from dagmap.providers.sql.operators import SQLExecuteQueryOperator
from dagmap.providers.sql.transfers import S3ToSqlOperator

with DAG("s3_to_sql", schedule=None, params={"bucket": "__BUCKET__"}):
    listed = S3ListOperator(task_id="list", bucket="{{ params.bucket }}", prefix="sales/", aws_conn_id="__AWS__")

    @task
    def batches(keys):
        return [keys[start : start + 2] for start in range(0, len(keys), 2)]

    load = S3ToSqlOperator.partial(
        task_id="load",
        table="__TABLE__",
        s3_bucket="{{ params.bucket }}",
        sql_conn_id="__WAREHOUSE__",
        aws_conn_id="__AWS__",
    ).expand(s3_keys=batches(listed.output))
    total = SQLExecuteQueryOperator(
        task_id="total", conn_id="__WAREHOUSE__", sql="SELECT COUNT(*), SUM(amount) FROM __TABLE__"
    )
    load >> total
"""


@pytest.fixture
def dagmap_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("DAGMAP_HOME", str(home))
    monkeypatch.delenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", raising=False)
    reset_settings()
    yield home
    dispose_engines()
    reset_settings()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, define_connection: Callable[[Connection], str], tmp_path: Path) -> str:
    conn_id = f"warehouse_{uuid.uuid4().hex[:8]}"
    if request.param == "postgres":
        schema = request.getfixturevalue("postgres_schema")
        extra = {"options": f"-c search_path={schema}"}
        connection = Connection(conn_id, "postgres", "127.0.0.1", "test", "postgres", port=5432, extra=extra)
    else:
        connection = Connection(conn_id, "duckdb", host=str(tmp_path / "warehouse.duckdb"))
    return define_connection(connection)


def test_mapped_s3_to_sql_run(dagmap_home: Path, aws_conn_id: str, warehouse: str, tmp_path: Path) -> None:
    bucket = f"dagmap-dag-{uuid.uuid4().hex[:12]}"
    table = f"sales_{uuid.uuid4().hex[:8]}"
    s3 = S3Hook(aws_conn_id)
    s3.create_bucket(bucket)
    for number in range(5):
        s3.load_string(f"id,amount\n{number},{number}.5\n", f"sales/{number}.csv", bucket)
    with SqlHook(warehouse) as sql:
        sql.run(f"CREATE TABLE {table} (id INTEGER, amount DOUBLE PRECISION)")
    dags = tmp_path / "dags"
    dags.mkdir()
    source = DAG_FILE.replace("__BUCKET__", bucket).replace("__AWS__", aws_conn_id)
    (dags / "s3_to_sql.py").write_text(source.replace("__WAREHOUSE__", warehouse).replace("__TABLE__", table))
    try:
        report = run_dag_test("s3_to_sql", dags_folder=dags)
        results = {(ti.task_id, ti.map_index): (ti.state, ti.return_value) for ti in report.task_instances}
        assert report.state == "success", results
        assert results[("load", 0)] == ("success", 2)
        assert results[("load", 1)] == ("success", 2)
        assert results[("load", 2)] == ("success", 1)
        count, total = results[("total", -1)][1][0]
        assert (count, total) == (5, 12.5)
    finally:
        s3.delete_bucket(bucket, force_delete=True)
        with SqlHook(warehouse) as sql:
            sql.run(f"DROP TABLE {table}")
