"""Helper of scripts/demo_elt.sh: find a free port, wait for moto, upload a day's CSV files, check a run.

    demo_elt_helper.py free-port
    demo_elt_helper.py wait-http URL [SECONDS]
    demo_elt_helper.py upload BUCKET YYYYMMDD MANIFEST [--seed N]   (creates the bucket if needed)
    demo_elt_helper.py check REPORT MANIFEST [--label TEXT]         (exit 1 on the first failed check)

Connections come from the environment, as for the DAG (``DAGMAP_CONN_S3``, ``DAGMAP_CONN_WAREHOUSE`` or the
DAG's DuckDB default under ``$DAGMAP_HOME``).
"""

from __future__ import annotations

import json
import random
import socket
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

EXAMPLE_DAGS = Path(__file__).resolve().parents[1] / "examples" / "dags"
REGIONS = ("emea", "amer", "apac")
HEADER = "order_id,customer,region,amount\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer: the server is up
        except OSError:
            time.sleep(0.1)
    return False


def make_files(day: str, seed: int) -> dict[str, list[tuple[int, str, str, Decimal]]]:
    """2 to 8 files named ``<day>/orders_<n>.csv`` of 1 to 40 orders each; order ids unique for the day."""
    chooser = random.Random(seed)
    files: dict[str, list[tuple[int, str, str, Decimal]]] = {}
    order_id = 0
    for number in range(chooser.randint(2, 8)):
        rows = []
        for _ in range(chooser.randint(1, 40)):
            order_id += 1
            customer = f"customer-{chooser.randint(1, 500)}"
            amount = Decimal(chooser.randint(100, 99_999)) / 100
            rows.append((order_id, customer, chooser.choice(REGIONS), amount))
        files[f"{day}/orders_{number}.csv"] = rows
    return files


def upload(bucket: str, day: str, manifest: Path, seed: int) -> None:
    from dagmap.providers.amazon.hooks.s3 import S3Hook

    hook = S3Hook(aws_conn_id="s3")
    if not hook.check_for_bucket(bucket):
        hook.create_bucket(bucket)
    files = make_files(day, seed)
    for key, rows in files.items():
        body = HEADER + "".join(f"{o},{c},{r},{a:.2f}\n" for o, c, r, a in rows)
        hook.load_string(body, key, bucket, replace=True)
    totals: dict[str, list[Any]] = {}
    for rows in files.values():
        for _, _, region, amount in rows:
            entry = totals.setdefault(region, [0, Decimal(0)])
            entry[0] += 1
            entry[1] += amount
    counts = {key: len(rows) for key, rows in files.items()}
    document = {
        "bucket": bucket,
        "day": day,
        "files": counts,
        "totals": {region: [count, str(amount)] for region, (count, amount) in sorted(totals.items())},
    }
    manifest.write_text(json.dumps(document, indent=2))
    print(f"uploaded {len(files)} files, {sum(counts.values())} rows, to s3://{bucket}/{day}/ (seed {seed})")


def warehouse_records(sql: str) -> list[tuple[Any, ...]]:
    sys.path.insert(0, str(EXAMPLE_DAGS))
    from include.elt_settings import WAREHOUSE_CONN_ID, use_default_warehouse

    from dagmap.providers.sql import hook_for_connection

    use_default_warehouse()  # the DAG's default, when the environment names no warehouse
    with hook_for_connection(WAREHOUSE_CONN_ID) as hook:
        return [tuple(row) for row in hook.get_records(sql)]


def check(report_path: Path, manifest_path: Path, label: str) -> list[str]:
    """Every failed expectation, as a sentence; prints a summary of the run."""
    from dagmap.providers.amazon.hooks.s3 import S3Hook

    report = json.loads(report_path.read_text())
    manifest = json.loads(manifest_path.read_text())
    bucket, day, files = manifest["bucket"], manifest["day"], manifest["files"]
    problems: list[str] = []

    def expect(condition: bool, problem: str) -> None:
        if not condition:
            problems.append(problem)

    expect(report["state"] == "success", f"the run ended {report['state']!r}")
    instances: dict[str, dict[int, dict[str, Any]]] = {}
    for ti in report["task_instances"]:
        instances.setdefault(ti["task_id"], {})[ti["map_index"]] = ti
        expect(ti["state"] == "success", f"{ti['task_id']}[{ti['map_index']}] ended {ti['state']!r}")
    listed = instances.get("get_s3_files", {}).get(-1, {}).get("return_value") or []
    expect(listed == [[key] for key in sorted(files)], f"get_s3_files listed {listed}, not the uploaded files")
    loads = instances.get("copy_to_warehouse", {})
    expect(sorted(loads) == list(range(len(files))), f"{len(loads)} load instances for {len(files)} files")
    loaded = {ti["map_index"]: ti["return_value"] for ti in loads.values()}
    expected_loads = {index: files[key] for index, key in enumerate(sorted(files))}
    expect(loaded == expected_loads, f"rows loaded per instance {loaded}, expected {expected_loads}")
    expect(len(instances.get("move_s3", {})) == len(files), "not one move_s3 instance per file")

    total_rows = sum(files.values())
    day_literal = date(int(day[:4]), int(day[4:6]), int(day[6:])).isoformat()
    [(orders,)] = warehouse_records(f"SELECT COUNT(*) FROM elt_orders WHERE ds = DATE '{day_literal}'")
    expect(orders == total_rows, f"elt_orders has {orders} rows for {day}, {total_rows} were uploaded")
    totals = warehouse_records(
        f"SELECT region, orders, amount FROM elt_region_totals WHERE ds = DATE '{day_literal}' ORDER BY region"
    )
    found = {region: [count, str(Decimal(str(amount)).quantize(Decimal("0.01")))] for region, count, amount in totals}
    expect(found == manifest["totals"], f"elt_region_totals {found}, expected {manifest['totals']}")
    landing = warehouse_records(
        "SELECT COUNT(*) FROM information_schema.tables"
        f" WHERE table_schema = current_schema() AND table_name = 'elt_landing_{day}'"
    )
    expect(landing == [(0,)], f"the landing table elt_landing_{day} was not dropped")

    s3 = S3Hook(aws_conn_id="s3")
    processed = s3.list_keys(bucket, prefix=f"processed/{day}/")
    expect(processed == [f"processed/{key}" for key in sorted(files)], f"processed/{day}/ holds {processed}")
    remaining = s3.list_keys(bucket, prefix=f"{day}/")
    expect(remaining == [], f"the landing prefix {day}/ still holds {remaining}")

    print(f"{label}: {report['state']}, {len(files)} files -> {len(loads)} mapped loads, {orders} rows in elt_orders")
    for region, (count, amount) in sorted(found.items()):
        print(f"  {region:5} {count:4} orders  {amount:>10}")
    print(f"  s3://{bucket}/processed/{day}/: {len(processed)} objects; s3://{bucket}/{day}/: {len(remaining)} objects")
    return problems


def main(argv: list[str]) -> int:
    command, arguments = argv[0], argv[1:]
    if command == "free-port":
        print(free_port())
        return 0
    if command == "wait-http":
        return 0 if wait_http(arguments[0], float(arguments[1]) if len(arguments) > 1 else 30) else 1
    if command == "upload":
        seed = int(arguments[arguments.index("--seed") + 1]) if "--seed" in arguments else random.randrange(10**6)
        upload(arguments[0], arguments[1], Path(arguments[2]), seed)
        return 0
    if command == "check":
        label = arguments[arguments.index("--label") + 1] if "--label" in arguments else "mapping_elt"
        problems = check(Path(arguments[0]), Path(arguments[1]), label)
        if problems:
            print(f"{label}: FAILED", *problems, sep="\n  ", file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
