"""S3KeySensor against the moto server and SqlSensor on SQLite and DuckDB, in whole DAG runs (``dags test``
machinery, inline executor): mapped over keys, with wildcards and ``check_fn``, timing out with ``soft_fail``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dagmap.config import reset_settings
from dagmap.connections import Connection
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.services.dag_test import RunReport, run_dag_test
from dagmap.store.db import dispose_engines

S3_DAG = """
from dagmap import DAG, task
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.amazon.sensors.s3 import S3KeySensor

FAST = {"poke_interval": 0.05, "timeout": 30, "aws_conn_id": "__AWS__"}

with DAG("s3_sensors", schedule=None):

    @task
    def upload() -> None:
        hook = S3Hook("__AWS__")
        hook.load_string("id\\n1\\n", "in/a.csv", "__BUCKET__")
        hook.load_string("id\\n2\\n", "in/b.csv", "__BUCKET__")
        hook.load_string("", "in/empty.csv", "__BUCKET__")

    keys = S3KeySensor.partial(task_id="keys", bucket_name="__BUCKET__", **FAST).expand(
        bucket_key=["in/a.csv", "in/b.csv"]
    )
    urls = S3KeySensor(task_id="urls", bucket_key=["s3://__BUCKET__/in/a.csv", "s3://__BUCKET__/in/b.csv"], **FAST)
    wildcard = S3KeySensor(
        task_id="wildcard", bucket_key="in/*.csv", bucket_name="__BUCKET__", wildcard_match=True,
        check_fn=lambda files: len(files) == 3 and sorted(f["Size"] for f in files)[0] == 0, **FAST
    )
    regex = S3KeySensor(task_id="regex", bucket_key=r"in/[ab]\\.csv", bucket_name="__BUCKET__", use_regex=True, **FAST)
    nonempty = S3KeySensor(
        task_id="nonempty", bucket_key="in/empty.csv", bucket_name="__BUCKET__",
        check_fn=lambda files: files[0]["Size"] > 0, soft_fail=True, poke_interval=0.05, timeout=0.2,
        aws_conn_id="__AWS__",
    )
    missing = S3KeySensor(
        task_id="missing", bucket_key="in/never.csv", bucket_name="__BUCKET__", soft_fail=True,
        poke_interval=0.05, timeout=0.2, aws_conn_id="__AWS__",
    )
    upload() >> [keys, urls, wildcard, regex, nonempty, missing]
"""

SQL_DAG = """
from dagmap import DAG, task
from dagmap.providers.sql import SqlHook
from dagmap.providers.sql.sensors import SqlSensor

with DAG("sql_sensors", schedule=None):

    @task
    def fill() -> None:
        with SqlHook("__DB__") as hook:
            hook.run("CREATE TABLE __TABLE__ (id INTEGER)")
            hook.run("INSERT INTO __TABLE__ VALUES (1), (2), (3)")

    fast = {"conn_id": "__DB__", "poke_interval": 0.05}
    ready = SqlSensor(
        task_id="ready", sql="SELECT COUNT(*) FROM __TABLE__", success=lambda n: n == 3, timeout=30, **fast
    )
    truthy = SqlSensor(task_id="truthy", sql="SELECT MAX(id) FROM __TABLE__ WHERE id > 2", timeout=30, **fast)
    empty = SqlSensor(
        task_id="empty", sql="SELECT id FROM __TABLE__ WHERE id > 10", soft_fail=True, timeout=0.2, **fast
    )
    failing = SqlSensor(
        task_id="failing", sql="SELECT COUNT(*) FROM __TABLE__", failure=lambda n: n > 0, timeout=30, **fast
    )
    fill() >> [ready, truthy, empty, failing]
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


def _states(report: RunReport) -> dict[tuple[str, int], str]:
    return {(ti.task_id, ti.map_index): ti.state for ti in report.task_instances}


def test_s3_key_sensors(dagmap_home: Path, aws_conn_id: str, tmp_path: Path) -> None:
    bucket = f"dagmap-sensor-{uuid.uuid4().hex[:12]}"
    s3 = S3Hook(aws_conn_id)
    s3.create_bucket(bucket)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "s3_sensors.py").write_text(S3_DAG.replace("__BUCKET__", bucket).replace("__AWS__", aws_conn_id))
    try:
        report = run_dag_test("s3_sensors", dags_folder=dags)
    finally:
        s3.delete_bucket(bucket, force_delete=True)
    assert _states(report) == {
        ("upload", -1): "success",
        ("keys", 0): "success",
        ("keys", 1): "success",
        ("urls", -1): "success",
        ("wildcard", -1): "success",
        ("regex", -1): "success",
        ("nonempty", -1): "skipped",
        ("missing", -1): "skipped",
    }
    assert report.state == "success"


@pytest.fixture(params=["sqlite", "duckdb"])
def database(request: pytest.FixtureRequest, define_connection: Callable[[Connection], str], tmp_path: Path) -> str:
    conn_id = f"db_{uuid.uuid4().hex[:8]}"
    return define_connection(Connection(conn_id, request.param, host=str(tmp_path / f"data.{request.param}")))


def test_sql_sensors(dagmap_home: Path, database: str, tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    table = f"arrivals_{uuid.uuid4().hex[:8]}"
    (dags / "sql_sensors.py").write_text(SQL_DAG.replace("__DB__", database).replace("__TABLE__", table))
    report = run_dag_test("sql_sensors", dags_folder=dags)
    assert _states(report) == {
        ("fill", -1): "success",
        ("ready", -1): "success",
        ("truthy", -1): "success",
        ("empty", -1): "skipped",
        ("failing", -1): "failed",
    }
    assert report.state == "failed"
    (log,) = dagmap_home.glob("logs/dag_id=sql_sensors/run_id=*/task_id=failing/map_index=-1/attempt=1.log")
    assert "Failure criteria met. self.failure(3) returned True" in log.read_text()
