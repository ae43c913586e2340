"""The ObjectStore contract, run against the local directory store and S3 (a real moto server)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dagmap.errors import XComNotFound
from dagmap.xcom.object_store import LocalDirectoryObjectStore, ObjectStore, S3ObjectStore


def test_put_then_get_returns_the_bytes(store: ObjectStore) -> None:
    payload = bytes(range(256)) * 3
    store.put("dag/run/task/0/return_value.json", payload)
    assert store.get("dag/run/task/0/return_value.json") == payload


def test_empty_and_large_objects(store: ObjectStore) -> None:
    large = os.urandom(3 * 1024 * 1024)
    store.put("a/empty", b"")
    store.put("a/large", large)
    assert store.get("a/empty") == b""
    assert store.get("a/large") == large


def test_put_overwrites(store: ObjectStore) -> None:
    store.put("a/b", b"first")
    store.put("a/b", b"second")
    assert store.get("a/b") == b"second"


def test_missing_objects(store: ObjectStore) -> None:
    assert not store.exists("no/such/object")
    with pytest.raises(XComNotFound):
        store.get("no/such/object")
    store.put("a/b", b"x")
    assert store.exists("a/b")
    assert not store.exists("a")  # a prefix of an object is not an object
    with pytest.raises(XComNotFound):
        store.get("a")


def test_delete_prefix_matches_by_string_prefix_and_counts(store: ObjectStore) -> None:
    for path in ("d/run1/t/0/k.json", "d/run1/t/1/k.json", "d/run1/u/-1/k.json", "d/run10/t/0/k.json"):
        store.put(path, b"x")
    store.put("other/run1/t/0/k.json", b"x")
    assert store.delete_prefix("d/run1/") == 3
    assert not store.exists("d/run1/t/0/k.json")
    assert store.exists("d/run10/t/0/k.json") and store.exists("other/run1/t/0/k.json")
    assert store.delete_prefix("d/run1") == 1  # now only run10 matches the bare string prefix
    assert store.delete_prefix("d/run1/") == 0
    assert store.exists("other/run1/t/0/k.json")


def test_delete_prefix_of_nothing(store: ObjectStore) -> None:
    assert store.delete_prefix("never/written/") == 0


def test_objects_can_be_written_again_after_delete(store: ObjectStore) -> None:
    store.put("d/r/t/0/k.json", b"1")
    assert store.delete_prefix("d/r/") == 1
    store.put("d/r/t/0/k.json", b"2")
    assert store.get("d/r/t/0/k.json") == b"2"


@pytest.mark.parametrize("path", ["", "/abs/path", "a//b", "../escape", "a/../../b", "a/./b", "a\\b", "a/b/"])
def test_unsafe_paths_are_refused(store: ObjectStore, path: str) -> None:
    with pytest.raises(ValueError):
        store.put(path, b"x")
    with pytest.raises(ValueError):
        store.get(path)


@pytest.mark.parametrize("prefix", ["", "/", "../"])
def test_delete_prefix_refuses_what_would_empty_the_store(store: ObjectStore, prefix: str) -> None:
    store.put("a/b", b"x")
    with pytest.raises(ValueError):
        store.delete_prefix(prefix)
    assert store.exists("a/b")


def test_paths_with_unusual_characters(store: ObjectStore) -> None:
    path = "dag/manual__2024-01-01T00:00:00+00:00/t/3/r%2Fv é.json"
    store.put(path, b"x")
    assert store.get(path) == b"x" and store.exists(path)
    assert store.delete_prefix("dag/manual__2024-01-01T00:00:00+00:00/") == 1


def test_delete_prefix_beyond_one_listing_page(store: ObjectStore) -> None:
    if isinstance(store, S3ObjectStore):
        store.page_size = 7  # S3 lists and deletes at most 1,000 keys per request; smaller pages test that
    for index in range(25):
        store.put(f"many/run/t/{index}/k.json", b"x")
    assert store.delete_prefix("many/run/") == 25
    assert not store.exists("many/run/t/24/k.json")


def test_local_store_removes_emptied_directories(tmp_path: Path) -> None:
    store = LocalDirectoryObjectStore(tmp_path / "root")
    store.put("d/r/t/0/k.json", b"x")
    store.put("d/keep.json", b"x")
    assert store.delete_prefix("d/r/") == 1
    assert sorted(path.relative_to(tmp_path / "root").as_posix() for path in (tmp_path / "root").rglob("*")) == [
        "d",
        "d/keep.json",
    ]


def test_s3_store_keeps_objects_under_its_prefix(make_s3_store: Callable[[str], S3ObjectStore]) -> None:
    scoped, root = make_s3_store("/team/xcom/"), make_s3_store("")
    scoped.put("d/r/t/0/k.json", b"scoped")
    assert root.get("team/xcom/d/r/t/0/k.json") == b"scoped"
    root.put("d/r/t/0/k.json", b"root")
    assert scoped.delete_prefix("d/") == 1
    assert root.get("d/r/t/0/k.json") == b"root"
