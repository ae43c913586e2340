"""SnowflakeHook, SnowflakeOperator and S3ToSnowflakeOperator against a fakesnow server (a subprocess, like moto).

fakesnow cannot read ``s3://`` here (DuckDB downloads its httpfs extension at run time), so the stage the
operator copies from is an external stage over a directory holding the same objects as the moto bucket. The
operator never reads S3 itself: it sends Snowflake the ``COPY INTO ... FROM @stage/ files=(...)`` statement.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import snowflake.connector

from dagmap.config import reset_settings
from dagmap.connections import Connection
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.snowflake import S3ToSnowflakeOperator, SnowflakeHook, SnowflakeOperator
from dagmap.providers.sql import fetch_all_handler
from dagmap.services.dag_test import run_dag_test
from dagmap.store.db import dispose_engines

# Space-separated: fakesnow 0.12 rejects the commas Snowflake also accepts between file format options.
CSV_FORMAT = "(type = 'CSV' field_delimiter = ',' skip_header = 1)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def fakesnow_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a ``fakesnow -s`` server (one in-memory DuckDB shared by its sessions) for this module."""
    port = _free_port()
    workdir = tmp_path_factory.mktemp("fakesnow")
    log_path = workdir / "server.log"
    executable = Path(sys.executable).parent / "fakesnow"
    env = {**os.environ, "TMPDIR": str(workdir)}  # its stage folder (fakesnow_bucket_*) goes with the test's
    with log_path.open("wb") as log:
        command = [str(executable), "-s", "-p", str(port)]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"fakesnow did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def database(fakesnow_port: int) -> str:
    """A database of its own with schemas RAW and ANALYTICS."""
    name = f"DB_{uuid.uuid4().hex[:10].upper()}"
    with snowflake.connector.connect(
        user="setup", password="-", account="fakesnow", host="127.0.0.1", port=fakesnow_port, protocol="http"
    ) as conn:
        cursor = conn.cursor()
        for statement in (f"CREATE DATABASE {name}", f"CREATE SCHEMA {name}.RAW", f"CREATE SCHEMA {name}.ANALYTICS"):
            cursor.execute(statement)
    return name


@pytest.fixture
def snowflake_conn_id(define_connection: Callable[[Connection], str], fakesnow_port: int, database: str) -> str:
    conn_id = f"snowflake_{uuid.uuid4().hex[:8]}"
    extra = {
        "account": "fakesnow",
        "database": database,
        "warehouse": "COMPUTE_WH",
        "role": "LOADER",
        "protocol": "http",
        "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    }
    connection = Connection(
        conn_id, "snowflake", "127.0.0.1", "RAW", "loader", "secret", port=fakesnow_port, extra=extra
    )
    return define_connection(connection)


@pytest.fixture
def hook(snowflake_conn_id: str) -> SnowflakeHook:
    hook = SnowflakeHook(snowflake_conn_id)
    hook.run("CREATE TABLE sales (id INTEGER, region VARCHAR, amount NUMBER(10, 2))")
    return hook


def test_session_takes_database_schema_and_overrides(hook: SnowflakeHook, database: str) -> None:
    assert hook.get_first("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()") == (database, "RAW")
    other = SnowflakeHook(hook.snowflake_conn_id, schema="ANALYTICS")
    assert other.get_first("SELECT CURRENT_SCHEMA()") == ("ANALYTICS",)


def test_insert_rows_and_read_back(hook: SnowflakeHook) -> None:
    rows = [(1, "north", 1.25), (2, "south", None), (3, "north", 3.5)]
    assert hook.insert_rows("sales", rows, target_fields=["id", "region", "amount"], commit_every=2) == 3
    assert hook.get_records("SELECT id, region FROM sales WHERE region = %s ORDER BY id", ["north"]) == [
        (1, "north"),
        (3, "north"),
    ]
    assert hook.get_first("SELECT COUNT(*), SUM(amount) FROM sales")[0] == 3
    frame = hook.get_pandas_df("SELECT id, amount FROM sales WHERE id > %(low)s ORDER BY id", {"low": 1})
    assert list(frame.columns) == ["ID", "AMOUNT"]
    assert frame["ID"].tolist() == [2, 3]


def test_a_script_runs_statement_by_statement_and_returns_the_last_rows(hook: SnowflakeHook) -> None:
    script = "INSERT INTO sales VALUES (1, 'a', 1);\nINSERT INTO sales VALUES (2, 'b', 2);\nSELECT COUNT(*) FROM sales;"
    assert hook.run(script, handler=fetch_all_handler) == [(2,)]
    assert hook.run(script, handler=fetch_all_handler, return_last=False)[-1] == [(4,)]


def test_without_autocommit_a_failing_statement_rolls_back_the_run(hook: SnowflakeHook) -> None:
    statements = ["INSERT INTO sales VALUES (1, 'a', 1)", "INSERT INTO no_such_table VALUES (1)"]
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="NO_SUCH_TABLE"):
        hook.run(statements)
    assert hook.get_first("SELECT COUNT(*) FROM sales") == (0,)
    with pytest.raises(snowflake.connector.errors.ProgrammingError):
        hook.run(statements, autocommit=True)
    assert hook.get_first("SELECT COUNT(*) FROM sales") == (1,)


def test_snowflake_operator_returns_rows_of_the_last_statement(hook: SnowflakeHook) -> None:
    operator = SnowflakeOperator(
        task_id="query",
        snowflake_conn_id=hook.snowflake_conn_id,
        schema="ANALYTICS",
        sql="CREATE TABLE totals AS SELECT 7 AS n; SELECT n, CURRENT_SCHEMA() FROM totals",
    )
    assert operator.execute({}) == [(7, "ANALYTICS")]


def test_the_generic_sql_operator_uses_the_snowflake_hook_of_a_snowflake_connection(
    hook: SnowflakeHook, database: str
) -> None:
    from dagmap.providers.sql.operators import SQLExecuteQueryOperator

    hook.run("INSERT INTO sales VALUES (1, 'north', 2.5)")
    operator = SQLExecuteQueryOperator(
        task_id="query",
        conn_id=hook.snowflake_conn_id,
        database=database,
        sql="SELECT COUNT(*), CURRENT_DATABASE() FROM sales",
    )
    assert operator.execute({}) == [(1, database)]


def _write_csv(root: Path, key: str, rows: list[tuple[int, str, float]]) -> str:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "id,region,amount\n" + "".join(f"{i},{region},{amount}\n" for i, region, amount in rows)
    path.write_text(body)
    return body


@pytest.fixture
def stage(hook: SnowflakeHook, tmp_path: Path) -> Path:
    """Stage RAW.LANDING over a directory (what an external stage over the S3 bucket is in Snowflake)."""
    root = tmp_path / "bucket"
    root.mkdir()
    hook.run(f"CREATE STAGE landing URL = '{root.as_uri()}/'")
    return root


def test_copy_into_loads_the_keys_once(hook: SnowflakeHook, stage: Path) -> None:
    _write_csv(stage, "20220412/a.csv", [(1, "north", 1.5), (2, "south", 2.5)])
    _write_csv(stage, "20220412/b.csv", [(3, "east", 3.5)])
    _write_csv(stage, "20220413/c.csv", [(9, "west", 9.0)])
    operator = S3ToSnowflakeOperator(
        task_id="copy",
        snowflake_conn_id=hook.snowflake_conn_id,
        s3_keys=["20220412/a.csv", "20220412/b.csv"],
        stage="landing",
        table="sales",
        schema="RAW",
        file_format=CSV_FORMAT,
    )
    assert operator.execute({}) == 3
    assert operator.execute({}) == 0  # a retry: Snowflake skips files it loaded into the table before
    assert hook.get_records("SELECT id, amount FROM sales ORDER BY id") == [(1, 1.5), (2, 2.5), (3, 3.5)]


def test_copy_into_columns_under_a_prefix(hook: SnowflakeHook, stage: Path) -> None:
    hook.run("CREATE TABLE regions (region VARCHAR, id INTEGER, amount FLOAT)")
    _write_csv(stage, "20220412/a.csv", [(1, "north", 1.5)])
    operator = S3ToSnowflakeOperator(
        task_id="copy",
        snowflake_conn_id=hook.snowflake_conn_id,
        s3_keys="a.csv",
        prefix="20220412/",
        stage="landing",
        table="regions",
        columns_array=["id", "region", "amount"],
        file_format=CSV_FORMAT,
    )
    assert operator.execute({}) == 1
    assert hook.get_records("SELECT region, id, amount FROM regions") == [("north", 1, 1.5)]


DAG_FILE = """
from datetime import datetime

from dagmap import DAG
from dagmap.decorators import task
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.amazon.operators.s3 import S3DeleteObjectsOperator
from dagmap.providers.snowflake.operators.snowflake import SnowflakeOperator
from dagmap.providers.snowflake.transfers.s3_to_snowflake import S3ToSnowflakeOperator


@task
def get_s3_files(current_prefix):
    s3_hook = S3Hook(aws_conn_id="__AWS__")
    current_files = s3_hook.list_keys(
        bucket_name="__BUCKET__", prefix=current_prefix + "/", start_after_key=current_prefix + "/"
    )
    return [[file] for file in current_files]


with DAG(dag_id="mapping_elt", start_date=datetime(2022, 4, 2), schedule_interval="@daily") as dag:
    copy_to_snowflake = S3ToSnowflakeOperator.partial(
        task_id="copy_to_snowflake",
        snowflake_conn_id="__SNOWFLAKE__",
        stage="landing",
        table="sales",
        schema="RAW",
        file_format="__FORMAT__",
    ).expand(s3_keys=get_s3_files(current_prefix="{{ ds_nodash }}"))

    delete_landing_files = S3DeleteObjectsOperator(
        task_id="delete_landing_files", bucket="__BUCKET__", prefix="{{ ds_nodash }}/", aws_conn_id="__AWS__"
    )

    transform_in_snowflake = SnowflakeOperator(
        task_id="transform_in_snowflake", snowflake_conn_id="__SNOWFLAKE__", sql="include/transform.sql"
    )

    copy_to_snowflake >> [delete_landing_files, transform_in_snowflake]
"""

TRANSFORM_SQL = """-- the day's totals per region
CREATE OR REPLACE TABLE analytics.daily_sales AS
SELECT '{{ ds }}'::DATE AS day, region, COUNT(*) AS orders, SUM(amount) AS amount FROM raw.sales GROUP BY region;
SELECT day, region, orders, amount FROM analytics.daily_sales ORDER BY region;
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


def test_seed_elt_dag_maps_one_copy_per_file(
    dagmap_home: Path, aws_conn_id: str, hook: SnowflakeHook, stage: Path, tmp_path: Path
) -> None:
    bucket = f"dagmap-snowflake-{uuid.uuid4().hex[:12]}"
    s3 = S3Hook(aws_conn_id)
    s3.create_bucket(bucket)
    s3.load_string("", "20220412/", bucket)  # the folder marker that start_after_key skips
    files = {
        "20220412/file_0.csv": [(1, "north", 1.5), (2, "south", 2.0)],
        "20220412/file_1.csv": [(3, "north", 3.0)],
        "20220412/file_2.csv": [(4, "south", 4.5), (5, "east", 5.0)],
        "20220413/file_0.csv": [(6, "west", 99.0)],  # another day: not this run's
    }
    for key, rows in files.items():
        s3.load_string(_write_csv(stage, key, rows), key, bucket)
    dags = tmp_path / "dags"
    (dags / "include").mkdir(parents=True)
    (dags / "include" / "transform.sql").write_text(TRANSFORM_SQL)
    source = DAG_FILE.replace("__BUCKET__", bucket).replace("__AWS__", aws_conn_id).replace("__FORMAT__", CSV_FORMAT)
    (dags / "mapping_elt.py").write_text(source.replace("__SNOWFLAKE__", hook.snowflake_conn_id))
    try:
        report = run_dag_test("mapping_elt", dags_folder=dags, logical_date=datetime(2022, 4, 12, tzinfo=UTC))
        results = {(ti.task_id, ti.map_index): (ti.state, ti.return_value) for ti in report.task_instances}
        assert report.state == "success", results
        assert results[("get_s3_files", -1)] == (
            "success",
            [["20220412/file_0.csv"], ["20220412/file_1.csv"], ["20220412/file_2.csv"]],
        )
        copies = [results[("copy_to_snowflake", index)] for index in range(3)]
        assert copies == [("success", 2), ("success", 1), ("success", 2)]
        state, rows = results[("transform_in_snowflake", -1)]
        assert state == "success"
        assert [(str(day), region, orders, float(amount)) for day, region, orders, amount in rows] == [
            ("2022-04-12", "east", 1, 5.0),
            ("2022-04-12", "north", 2, 4.5),
            ("2022-04-12", "south", 2, 6.5),
        ]
        assert s3.list_keys(bucket) == ["20220413/file_0.csv"]
    finally:
        s3.delete_bucket(bucket, force_delete=True)
