"""Services for the example DAGs: the moto S3 server fixture of tests/integration/providers (imported, not
copied), a fresh bucket with its ``s3`` connection, and a warehouse connection (DuckDB, or a PostgreSQL schema).
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dagmap.connections import Connection
from dagmap.connections.masking import get_masker
from dagmap.store.db import dispose_engines


def _providers_conftest() -> object:
    path = Path(__file__).resolve().parents[1] / "providers" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_providers_conftest_for_examples", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_providers = _providers_conftest()
moto_endpoint = _providers.moto_endpoint  # type: ignore[attr-defined]
POSTGRES_DSN: str = _providers.POSTGRES_DSN  # type: ignore[attr-defined]


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new bucket on the moto server, reached through ``DAGMAP_CONN_S3`` as the example DAG expects."""
    from dagmap.providers.amazon.hooks.s3 import S3Hook

    extra = {"endpoint_url": moto_endpoint, "region_name": "us-east-1"}
    definition = {"conn_type": "aws", "login": "testing-key", "password": "testing-secret", "extra": extra}
    monkeypatch.setenv("DAGMAP_CONN_S3", json.dumps(definition))
    monkeypatch.delenv("AIRFLOW_CONN_S3", raising=False)
    bucket = f"elt-{uuid.uuid4().hex[:16]}"
    hook = S3Hook(aws_conn_id="s3")
    hook.create_bucket(bucket)
    yield bucket
    hook.delete_bucket(bucket, force_delete=True)
    dispose_engines()
    get_masker().clear()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """``DAGMAP_CONN_WAREHOUSE``: a DuckDB file of the test's own, or a PostgreSQL schema of its own in
    database ``test`` (dropped afterwards). Yields the kind."""
    if request.param == "duckdb":
        connection = Connection("warehouse", "duckdb", host=str(tmp_path / "warehouse.duckdb"))
        monkeypatch.setenv("DAGMAP_CONN_WAREHOUSE", connection.get_uri())
        yield "duckdb"
        return
    schema = f"elt_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    extra = {"options": f"-c search_path={schema}"}
    connection = Connection("warehouse", "postgres", "127.0.0.1", "test", "postgres", port=5432, extra=extra)
    monkeypatch.setenv("DAGMAP_CONN_WAREHOUSE", connection.get_uri())
    try:
        yield "postgres"
    finally:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
