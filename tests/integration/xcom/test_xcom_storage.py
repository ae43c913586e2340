"""XComStorage on both object stores: the offload threshold, references, delete_run."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dagmap.config import Settings, reset_settings
from dagmap.errors import XComNotFound
from dagmap.xcom.backends import XComStorage, object_path, xcom_storage_from_settings
from dagmap.xcom.object_store import ObjectStore, S3ObjectStore
from dagmap.xcom.serde import serialize

WHERE = {"dag_id": "etl", "run_id": "manual__2024-01-01T00:00:00+00:00", "task_id": "extract", "key": "return_value"}


def test_small_values_stay_inline(store: ObjectStore) -> None:
    storage = XComStorage(store, threshold=1024)
    value = {"rows": list(range(10)), "at": datetime(2024, 1, 1, tzinfo=UTC)}
    stored = storage.encode(value, map_index=-1, **WHERE)
    assert stored == serialize(value) and not storage.is_reference(stored)
    assert storage.decode(stored) == value
    assert not store.exists(object_path(map_index=-1, **WHERE))


def test_values_over_the_threshold_go_to_the_store(store: ObjectStore) -> None:
    storage = XComStorage(store, threshold=100)
    value: dict[str, Any] = {"payload": "x" * 200, "array": np.arange(5)}
    stored = storage.encode(value, map_index=2, **WHERE)
    assert storage.is_reference(stored) and len(stored) < 200
    reference = json.loads(stored)
    assert reference["path"] == object_path(map_index=2, **WHERE)
    assert reference["path"].startswith("etl/manual__2024-01-01T00:00:00+00:00/extract/2/return_value")
    assert store.get(reference["path"]) == serialize(value).encode()
    result = storage.decode(stored)
    assert result["payload"] == value["payload"] and np.array_equal(result["array"], value["array"])


def test_the_threshold_is_inclusive_and_counts_utf8_bytes(store: ObjectStore) -> None:
    storage = XComStorage(store, threshold=10)
    at_limit = "x" * 8  # serialized with quotes: exactly 10 bytes
    assert not storage.is_reference(storage.encode(at_limit, map_index=0, **WHERE))
    over = "é" * 5  # 7 characters serialized, but 12 bytes in UTF-8
    stored = storage.encode(over, map_index=1, **WHERE)
    assert storage.is_reference(stored) and storage.decode(stored) == over


def test_retried_value_overwrites_the_object(store: ObjectStore) -> None:
    storage = XComStorage(store, threshold=0)
    storage.encode("first", map_index=0, **WHERE)
    stored = storage.encode("second", map_index=0, **WHERE)
    assert storage.decode(stored) == "second"


def test_delete_run_removes_only_that_runs_objects(store: ObjectStore) -> None:
    storage = XComStorage(store, threshold=0)
    kept = {
        "other_run": storage.encode(1, dag_id="etl", run_id="run10", task_id="t", map_index=0, key="k"),
        "other_dag": storage.encode(2, dag_id="etl2", run_id="run1", task_id="t", map_index=0, key="k"),
    }
    gone = [
        storage.encode(i, dag_id="etl", run_id="run1", task_id=task_id, map_index=i, key="k")
        for task_id in ("a", "b")
        for i in (0, 1)
    ]
    assert storage.delete_run("etl", "run1") == 4
    for stored in gone:
        with pytest.raises(XComNotFound):
            storage.decode(stored)
    assert [storage.decode(stored) for stored in kept.values()] == [1, 2]
    assert storage.delete_run("etl", "run1") == 0


def test_delete_task_instance(store: ObjectStore) -> None:
    storage = XComStorage(store, threshold=0)
    first = storage.encode(1, dag_id="d", run_id="r", task_id="t", map_index=1, key="k")
    tenth = storage.encode(10, dag_id="d", run_id="r", task_id="t", map_index=10, key="k")
    assert storage.delete_task_instance("d", "r", "t", 1) == 1
    assert storage.decode(tenth) == 10
    with pytest.raises(XComNotFound):
        storage.decode(first)


def test_ids_that_look_like_paths_cannot_escape_or_collide(store: ObjectStore) -> None:
    storage = XComStorage(store, threshold=0)
    odd = storage.encode("odd", dag_id="..", run_id="a/b", task_id=".", map_index=0, key="")
    plain = storage.encode("plain", dag_id="%2E%2E", run_id="a%2Fb", task_id="%2E", map_index=0, key="%")
    assert json.loads(odd)["path"] != json.loads(plain)["path"]
    assert (storage.decode(odd), storage.decode(plain)) == ("odd", "plain")
    assert storage.delete_run("..", "a/b") == 1
    assert storage.decode(plain) == "plain"


def test_s3_storage_from_settings(
    monkeypatch: pytest.MonkeyPatch, s3_bucket: str, moto_endpoint: str, make_s3_store: Callable[[str], S3ObjectStore]
) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings = Settings.model_validate(
        {
            "core": {
                "xcom_backend": "object_store",
                "xcom_object_store_threshold": 16,
                "xcom_object_store_url": f"s3://{s3_bucket}/xcom",
                "xcom_object_store_endpoint_url": moto_endpoint,
            }
        }
    )
    storage = xcom_storage_from_settings(settings)
    stored = storage.encode(list(range(100)), map_index=-1, **WHERE)
    assert storage.is_reference(stored)
    path = json.loads(stored)["path"]
    assert make_s3_store("xcom").get(path) == serialize(list(range(100))).encode()
    assert storage.decode(stored) == list(range(100))
    assert storage.delete_run(WHERE["dag_id"], WHERE["run_id"]) == 1


def test_database_backend_never_offloads_but_reads_old_references(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DAGMAP_HOME", str(tmp_path))
    monkeypatch.setenv("DAGMAP__CORE__XCOM_BACKEND", "object_store")
    monkeypatch.setenv("DAGMAP__CORE__XCOM_OBJECT_STORE_THRESHOLD", "0")
    reset_settings()
    try:
        stored = xcom_storage_from_settings().encode("big", map_index=0, **WHERE)
        assert XComStorage.is_reference(stored)
        assert (tmp_path / "xcom" / "etl").is_dir()  # default store: $DAGMAP_HOME/xcom

        monkeypatch.setenv("DAGMAP__CORE__XCOM_BACKEND", "database")
        reset_settings()
        storage = xcom_storage_from_settings()
        assert not storage.is_reference(storage.encode("x" * 100_000, map_index=1, **WHERE))
        assert storage.decode(stored) == "big"
    finally:
        reset_settings()
