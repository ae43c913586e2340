"""The ``mapping_elt`` example run by ``dags test`` against a moto S3 server and a DuckDB or PostgreSQL
warehouse: one load per file, the day's folder moved to ``processed/``, the transform, idempotent re-runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.sql import hook_for_connection
from dagmap.services.dag_test import RunReport, run_dag_test

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "dags"
BIN = Path(sys.executable).parent
DAY = "20220412"
LOGICAL_DATE = datetime(2022, 4, 12, tzinfo=UTC)
HEADER = "order_id,customer,region,amount\n"

# Three files of 2, 4 and 1 orders: emea 3 orders for 6.00, amer 3 for 36.25, apac 1 for 100.00.
FILES = {
    f"{DAY}/orders_0.csv": [(1, "ann", "emea", "1.50"), (2, "bob", "amer", "10.25")],
    f"{DAY}/orders_1.csv": [
        (3, "cy", "emea", "2.00"),
        (4, "di", "amer", "20.00"),
        (5, "ed", "emea", "2.50"),
        (6, "fay", "amer", "6.00"),
    ],
    f"{DAY}/orders_2.csv": [(7, "gus", "apac", "100.00")],
}
TOTALS = [("amer", 3, Decimal("36.25")), ("apac", 1, Decimal("100.00")), ("emea", 3, Decimal("6.00"))]


def upload(bucket: str, files: dict[str, list[tuple[int, str, str, str]]]) -> None:
    hook = S3Hook(aws_conn_id="s3")
    for key, rows in files.items():
        hook.load_string(HEADER + "".join(f"{o},{c},{r},{a}\n" for o, c, r, a in rows), key, bucket, replace=True)


def run(bucket: str) -> tuple[RunReport, dict[tuple[str, int], tuple[str | None, Any]]]:
    report = run_dag_test("mapping_elt", logical_date=LOGICAL_DATE, conf={"bucket": bucket}, dags_folder=EXAMPLES)
    return report, {(ti.task_id, ti.map_index): (ti.state, ti.return_value) for ti in report.task_instances}


def records(sql: str) -> list[tuple[Any, ...]]:
    with hook_for_connection("warehouse") as hook:
        return [tuple(row) for row in hook.get_records(sql)]


def assert_the_day_is_loaded_once(bucket: str, results: dict[tuple[str, int], tuple[str | None, Any]]) -> None:
    assert all(state == "success" for state, _ in results.values()), results
    assert results[("get_s3_files", -1)][1] == [[key] for key in FILES]
    assert {index: rows for (task, index), (_, rows) in results.items() if task == "copy_to_warehouse"} == {
        0: 2,
        1: 4,
        2: 1,
    }
    assert sorted(index for task, index in results if task == "move_s3") == [0, 1, 2]
    transformed = results[("transform_in_warehouse", -1)][1]
    assert [(region, orders, Decimal(str(amount))) for region, orders, amount in transformed] == TOTALS

    assert records("SELECT COUNT(*) FROM elt_orders WHERE ds = DATE '2022-04-12'") == [(7,)]
    assert records("SELECT COUNT(*), COUNT(DISTINCT order_id) FROM elt_orders") == [(7, 7)]
    totals = records("SELECT region, orders, amount FROM elt_region_totals WHERE ds = DATE '2022-04-12' ORDER BY 1")
    assert [(region, orders, Decimal(str(amount))) for region, orders, amount in totals] == TOTALS
    landing = records(
        "SELECT COUNT(*) FROM information_schema.tables"
        f" WHERE table_schema = current_schema() AND table_name = 'elt_landing_{DAY}'"
    )
    assert landing == [(0,)], "the transform drops the day's landing table"

    s3 = S3Hook(aws_conn_id="s3")
    assert s3.list_keys(bucket, prefix=f"processed/{DAY}/") == [f"processed/{key}" for key in FILES]
    assert s3.list_keys(bucket, prefix=f"{DAY}/") == []
    assert s3.read_key(f"processed/{DAY}/orders_2.csv", bucket) == HEADER + "7,gus,apac,100.00\n"


@pytest.mark.slow
def test_each_file_gets_its_own_load_and_a_rerun_of_the_day_changes_nothing(s3_bucket: str, warehouse: str) -> None:
    upload(s3_bucket, FILES)
    report, results = run(s3_bucket)
    assert report.state == "success", results
    assert_the_day_is_loaded_once(s3_bucket, results)

    upload(s3_bucket, FILES)  # the files land again: the re-run replaces the day's rows
    report, results = run(s3_bucket)
    assert report.state == "success", results
    assert_the_day_is_loaded_once(s3_bucket, results)


@pytest.mark.slow
def test_a_day_without_files_skips_everything_after_the_listing(s3_bucket: str, warehouse: str) -> None:
    upload(s3_bucket, {"20220411/orders_0.csv": [(1, "ann", "emea", "1.00")]})  # another day's file
    report, results = run(s3_bucket)
    assert report.state == "success"
    assert results[("get_s3_files", -1)] == ("success", [])
    assert results[("create_landing_table", -1)][0] == "success"
    skipped = {task for (task, _), (state, _) in results.items() if state == "skipped"}
    assert skipped == {"copy_to_warehouse", "move_s3", "transform_in_warehouse", "delete_landing_files"}
    assert S3Hook(aws_conn_id="s3").list_keys(s3_bucket) == ["20220411/orders_0.csv"]


@pytest.mark.slow
def test_the_cli_run_uses_a_duckdb_warehouse_under_dagmap_home_by_default(
    s3_bucket: str, dagmap_home: Path, tmp_path: Path
) -> None:
    upload(s3_bucket, FILES)
    env = {name: value for name, value in os.environ.items() if not name.endswith("_CONN_WAREHOUSE")}
    env["DAGMAP_HOME"] = str(dagmap_home)
    command = [str(BIN / "dagmap"), "dags", "test", "mapping_elt", "2022-04-12", "--dags-folder", str(EXAMPLES)]
    completed = subprocess.run(
        [*command, "--conf", json.dumps({"bucket": s3_bucket}), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads(completed.stdout)
    assert report["state"] == "success"
    assert sum(ti["return_value"] for ti in report["task_instances"] if ti["task_id"] == "copy_to_warehouse") == 7

    import duckdb

    with duckdb.connect(str(dagmap_home / "elt_warehouse.duckdb"), read_only=True) as database:
        assert database.sql("SELECT COUNT(*) FROM elt_orders").fetchall() == [(7,)]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_demo_script_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    env = {**os.environ, "BIN": str(BIN), "TMPDIR": str(tmp_path)}
    completed = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo_elt.sh")], env=env, capture_output=True, text=True, timeout=540
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-4000:]
    assert completed.stdout.count("success,") == 2
    assert "demo-elt: OK" in completed.stdout
    assert list(tmp_path.iterdir()) == []
