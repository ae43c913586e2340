"""Settings of the ``mapping_elt`` example: its bucket and connections, all from the environment.

``warehouse`` defaults to a DuckDB file under ``$DAGMAP_HOME`` when the environment does not define it.
"""

from __future__ import annotations

import os
from pathlib import Path

S3_CONN_ID = "s3"
"""The seed's ``aws_conn_id``: ``DAGMAP_CONN_S3`` (``extra.endpoint_url`` for MinIO, moto, ...)."""

WAREHOUSE_CONN_ID = "warehouse"
"""``DAGMAP_CONN_WAREHOUSE``: a ``postgres`` or ``duckdb`` connection."""

DEFAULT_BUCKET = os.environ.get("ELT_BUCKET", "my-bucket")
"""The ``bucket`` param's default: ``$ELT_BUCKET``, else the seed's ``my-bucket``."""


def default_warehouse_path() -> Path:
    from dagmap.config import get_settings

    return get_settings().home / "elt_warehouse.duckdb"


def use_default_warehouse() -> None:
    """Define ``warehouse`` as the DuckDB file under ``$DAGMAP_HOME`` unless the environment defines it.

    Only the environment is looked at (never the metadata database, while a DAG file is parsed): a stored
    ``warehouse`` connection is read after this default, so define it in the environment instead.
    """
    names = [prefix + WAREHOUSE_CONN_ID.upper() for prefix in ("DAGMAP_CONN_", "AIRFLOW_CONN_")]
    if any(name in os.environ for name in names):
        return
    from dagmap.connections import Connection

    path = default_warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ[names[0]] = Connection(WAREHOUSE_CONN_ID, "duckdb", host=str(path)).get_uri()
