"""The S3 and SQL operators against the moto server and DuckDB / SQLite files, executed as the runner does:
render the template fields, then ``execute(context)``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dagmap.connections import Connection
from dagmap.errors import DagmapError
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.amazon.operators.s3 import (
    S3CopyObjectOperator,
    S3CreateBucketOperator,
    S3DeleteObjectsOperator,
    S3ListOperator,
)
from dagmap.providers.sql import SqlHook
from dagmap.providers.sql.operators import SQLExecuteQueryOperator
from dagmap.providers.sql.transfers import S3ToSqlOperator
from dagmap.sdk.baseoperator import BaseOperator
from dagmap.sdk.dag import DAG

CONTEXT: dict[str, Any] = {"ds": "2024-05-01", "params": {"region": "eu"}}


def run(operator: BaseOperator, context: dict[str, Any] | None = None) -> Any:
    """What the runner does with an operator: a copy, rendered, executed."""
    prepared = operator.prepare_for_execution()
    prepared.render_template_fields(context or CONTEXT)
    return prepared.execute(context or CONTEXT)


@pytest.fixture
def bucket(aws_conn_id: str) -> Iterator[str]:
    name = f"dagmap-ops-{uuid.uuid4().hex[:12]}"
    run(S3CreateBucketOperator(task_id="create", bucket_name=name, aws_conn_id=aws_conn_id))
    yield name
    S3Hook(aws_conn_id).delete_bucket(name, force_delete=True)


@pytest.fixture(params=["duckdb", "sqlite"])
def sql_conn_id(request: pytest.FixtureRequest, define_connection: Callable[[Connection], str], tmp_path: Path) -> str:
    conn_id = f"ops_{request.param}_{uuid.uuid4().hex[:6]}"
    conn_id = define_connection(Connection(conn_id, request.param, host=str(tmp_path / f"ops.{request.param}")))
    with SqlHook(conn_id) as hook:
        hook.run("CREATE TABLE sales (id INTEGER, region VARCHAR(10), amount DOUBLE PRECISION)")
    return conn_id


def test_s3_operators_render_and_execute(aws_conn_id: str, bucket: str) -> None:
    hook = S3Hook(aws_conn_id)
    assert run(S3CreateBucketOperator(task_id="again", bucket_name=bucket, aws_conn_id=aws_conn_id)) is None
    hook.load_string("a", "in/2024-05-01/a.csv", bucket)
    copy = S3CopyObjectOperator(
        task_id="copy",
        source_bucket_key=f"s3://{bucket}/in/{{{{ ds }}}}/a.csv",
        dest_bucket_key="out/{{ params.region }}/a.csv",
        dest_bucket_name=bucket,
        aws_conn_id=aws_conn_id,
    )
    run(copy)
    assert copy.source_bucket_key.endswith("{{ ds }}/a.csv")  # the DAG's operator is never rendered in place
    listed = run(
        S3ListOperator(task_id="list", bucket=bucket, prefix="out/{{ params.region }}/", aws_conn_id=aws_conn_id)
    )
    assert listed == ["out/eu/a.csv"]
    run(
        S3DeleteObjectsOperator(
            task_id="del_keys", bucket=bucket, keys=["out/{{ params.region }}/a.csv"], aws_conn_id=aws_conn_id
        )
    )
    assert hook.list_keys(bucket) == ["in/2024-05-01/a.csv"]
    run(S3DeleteObjectsOperator(task_id="del_prefix", bucket=bucket, prefix="in/", aws_conn_id=aws_conn_id))
    assert hook.list_keys(bucket) == []
    run(S3DeleteObjectsOperator(task_id="del_nothing", bucket=bucket, prefix="in/", aws_conn_id=aws_conn_id))


def test_delete_objects_operator_needs_exactly_one_of_keys_and_prefix() -> None:
    with pytest.raises(DagmapError, match="exactly one"):
        S3DeleteObjectsOperator(task_id="d", bucket="b")
    with pytest.raises(DagmapError, match="exactly one"):
        S3DeleteObjectsOperator(task_id="d", bucket="b", keys=["k"], prefix="p")


def test_sql_execute_query_operator_returns_rows_and_reads_sql_files(sql_conn_id: str, tmp_path: Path) -> None:
    run(
        SQLExecuteQueryOperator(
            task_id="fill",
            conn_id=sql_conn_id,
            sql=["INSERT INTO sales VALUES (1, '{{ params.region }}', 2.5)", "INSERT INTO sales VALUES (2, 'us', 1.0)"],
            handler=None,
        )
    )
    (tmp_path / "query.sql").write_text("SELECT id, amount FROM sales WHERE region = '{{ params.region }}'")
    with DAG("sql_files", schedule=None, template_searchpath=[str(tmp_path)]) as dag:
        query = SQLExecuteQueryOperator(task_id="query", conn_id=sql_conn_id, sql="query.sql")
    assert query.template_ext == (".sql",)
    assert dag.task_dict["query"] is query
    assert run(query) == [(1, 2.5)]
    both = SQLExecuteQueryOperator(
        task_id="both", conn_id=sql_conn_id, sql=["SELECT COUNT(*) FROM sales", "SELECT MAX(id) FROM sales"]
    )
    assert run(both) == [[(2,)], [(2,)]]
    quiet = SQLExecuteQueryOperator(task_id="quiet", conn_id=sql_conn_id, sql="SELECT 1", do_xcom_push=False)
    assert run(quiet) is None


def test_s3_to_sql_loads_each_instance_keys_atomically(aws_conn_id: str, bucket: str, sql_conn_id: str) -> None:
    hook = S3Hook(aws_conn_id)
    for day, rows in {"01": "1,eu,1.5\n2,us,2.5\n", "02": "3,eu,3.5\n", "03": "4,eu,4.5\nbad,row,x,extra\n"}.items():
        hook.load_string(f"id,region,amount\n{rows}", f"sales/2024-05-{day}.csv", bucket)
    load = S3ToSqlOperator(
        task_id="load",
        s3_keys=["sales/2024-05-01.csv", "sales/2024-05-02.csv"],
        s3_bucket=bucket,
        table="sales",
        sql_conn_id=sql_conn_id,
        aws_conn_id=aws_conn_id,
    )
    assert run(load) == 3
    one_url = S3ToSqlOperator(
        task_id="by_url",
        s3_keys=f"s3://{bucket}/sales/2024-05-02.csv",
        table="sales",
        sql_conn_id=sql_conn_id,
        aws_conn_id=aws_conn_id,
        columns=["id", "region", "amount"],
    )
    assert run(one_url) == 1
    broken = S3ToSqlOperator(
        task_id="broken",
        s3_keys=["sales/2024-05-01.csv", "sales/2024-05-03.csv"],
        s3_bucket=bucket,
        table="sales",
        sql_conn_id=sql_conn_id,
        aws_conn_id=aws_conn_id,
    )
    with pytest.raises(Exception):  # noqa: B017 - the database's own error about the bad row
        run(broken)
    with SqlHook(sql_conn_id) as sql:
        assert sql.get_records("SELECT id FROM sales ORDER BY id") == [(1,), (2,), (3,), (3,)]


def test_s3_to_sql_maps_over_batches_of_keys() -> None:
    with DAG("mapped_load", schedule=None):
        mapped = S3ToSqlOperator.partial(
            task_id="load", table="sales", sql_conn_id="warehouse", s3_bucket="landing"
        ).expand(s3_keys=[["a.csv", "b.csv"], ["c.csv"]])
    assert mapped.task_id == "load"
    assert "s3_keys" in S3ToSqlOperator.template_fields
