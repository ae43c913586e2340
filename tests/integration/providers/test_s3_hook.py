"""S3Hook against a real moto server over HTTP."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dagmap.errors import DagmapError
from dagmap.providers.amazon.hooks import s3 as s3_module
from dagmap.providers.amazon.hooks.s3 import S3Hook


def _bucket_name() -> str:
    return f"dagmap-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def hook(aws_conn_id: str) -> S3Hook:
    return S3Hook(aws_conn_id=aws_conn_id)


@pytest.fixture
def bucket(hook: S3Hook) -> Iterator[str]:
    name = _bucket_name()
    hook.create_bucket(name)
    yield name
    hook.delete_bucket(name, force_delete=True)


@pytest.fixture(scope="module")
def big_bucket(moto_endpoint: str) -> Iterator[tuple[str, list[str]]]:
    """1,005 keys: more than one page of ListObjectsV2."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        hook = S3Hook(aws_conn_id=None, endpoint_url=moto_endpoint, region_name="us-east-1")
        client = hook.conn  # built once, then shared by the threads
        name = _bucket_name()
        hook.create_bucket(name)
        keys = [f"many/{number:05d}.txt" for number in range(1005)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda key: client.put_object(Bucket=name, Key=key, Body=b"x"), keys))
        yield name, keys
        hook.delete_bucket(name, force_delete=True)


@pytest.fixture(autouse=True)
def _aws_credentials_for_connectionless_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_credentials_and_endpoint_come_from_the_connection(hook: S3Hook, moto_endpoint: str) -> None:
    assert hook.settings.endpoint_url == moto_endpoint
    assert hook.settings.access_key_id == "testing-key-id"
    assert hook.region_name == "us-east-1"
    assert hook.conn.meta.endpoint_url == moto_endpoint


def test_arguments_override_the_connection(aws_conn_id: str) -> None:
    hook = S3Hook(aws_conn_id=aws_conn_id, region_name="eu-west-1", endpoint_url="http://127.0.0.1:1")
    assert (hook.region_name, hook.settings.endpoint_url) == ("eu-west-1", "http://127.0.0.1:1")


def test_buckets(hook: S3Hook) -> None:
    name = _bucket_name()
    assert hook.check_for_bucket(name) is False
    hook.create_bucket(name)
    assert hook.check_for_bucket(name) is True
    hook.delete_bucket(name)
    assert hook.check_for_bucket(name) is False


def test_load_read_check_and_replace(hook: S3Hook, bucket: str, tmp_path: Path) -> None:
    hook.load_string("héllo", "a/one.txt", bucket)
    assert hook.read_key("a/one.txt", bucket) == "héllo"
    assert hook.check_for_key("a/one.txt", bucket) is True
    assert hook.check_for_key("a/none.txt", bucket) is False
    with pytest.raises(DagmapError, match="already exists"):
        hook.load_string("again", "a/one.txt", bucket)
    hook.load_string("again", "a/one.txt", bucket, replace=True)
    assert hook.read_key("a/one.txt", bucket) == "again"
    hook.load_bytes(b"\x00\x01", "a/two.bin", bucket)
    assert hook.read_key_bytes("a/two.bin", bucket) == b"\x00\x01"
    local = tmp_path / "file.csv"
    local.write_text("x,y\n1,2\n")
    hook.load_file(local, "a/file.csv", bucket)
    hook.load_file(local, "a/file.csv.gz", bucket, gzip=True)
    assert hook.read_key("a/file.csv", bucket) == "x,y\n1,2\n"
    assert gzip.decompress(hook.read_key_bytes("a/file.csv.gz", bucket)) == b"x,y\n1,2\n"
    hook.load_string("zipped", "a/z.gz", bucket, compression="gzip")
    assert gzip.decompress(hook.read_key_bytes("a/z.gz", bucket)) == b"zipped"
    assert hook.download_file("a/one.txt", tmp_path / "down.txt", bucket).read_text() == "again"


def test_s3_urls_in_key_arguments(hook: S3Hook, bucket: str) -> None:
    hook.load_string("via url", f"s3://{bucket}/u/key.txt")
    assert hook.read_key(f"s3://{bucket}/u/key.txt") == "via url"
    assert hook.check_for_key(f"s3://{bucket}/u/key.txt")
    assert hook.get_key(f"s3://{bucket}/u/key.txt").content_length == len("via url")
    with pytest.raises(DagmapError, match="relative"):
        hook.read_key(f"s3://{bucket}/u/key.txt", bucket_name=bucket)
    with pytest.raises(DagmapError, match="bucket_name"):
        hook.read_key("u/key.txt")


def test_get_key_of_a_missing_object(hook: S3Hook, bucket: str) -> None:
    with pytest.raises(DagmapError, match="does not exist"):
        hook.get_key("absent", bucket)
    with pytest.raises(DagmapError, match="does not exist"):
        hook.read_key("absent", bucket)


def test_copy_object_with_names_or_urls(hook: S3Hook, bucket: str) -> None:
    other = _bucket_name()
    hook.create_bucket(other)
    try:
        hook.load_string("payload", "src.txt", bucket)
        hook.copy_object("src.txt", "dst.txt", source_bucket_name=bucket, dest_bucket_name=other)
        hook.copy_object(f"s3://{bucket}/src.txt", f"s3://{other}/dst2.txt")
        assert hook.read_key("dst.txt", other) == "payload"
        assert hook.read_key("dst2.txt", other) == "payload"
        with pytest.raises(DagmapError, match="dest_bucket_key"):
            hook.copy_object("src.txt", f"s3://{other}/x", source_bucket_name=bucket, dest_bucket_name=other)
    finally:
        hook.delete_bucket(other, force_delete=True)


def test_listing_with_prefix_delimiter_wildcard_and_time(hook: S3Hook, bucket: str) -> None:
    for key in ["data/2024/a.csv", "data/2024/b.json", "data/2025/c.csv", "top.txt"]:
        hook.load_string(key, key, bucket)
    assert hook.list_keys(bucket) == ["data/2024/a.csv", "data/2024/b.json", "data/2025/c.csv", "top.txt"]
    assert hook.list_keys(bucket, prefix="data/2024/") == ["data/2024/a.csv", "data/2024/b.json"]
    assert hook.list_keys(bucket, prefix="data/*.csv", apply_wildcard=True) == ["data/2024/a.csv", "data/2025/c.csv"]
    assert hook.list_keys(bucket, delimiter="/") == ["top.txt"]
    assert hook.list_prefixes(bucket, prefix="data/", delimiter="/") == ["data/2024/", "data/2025/"]
    assert hook.check_for_prefix("data/2024", "/", bucket) is True
    assert hook.check_for_prefix("data/2023", "/", bucket) is False
    now = datetime.now(UTC)
    assert hook.list_keys(bucket, prefix="data/", to_datetime=now - timedelta(hours=1)) == []
    assert len(hook.list_keys(bucket, prefix="data/", from_datetime=now - timedelta(hours=1))) == 3
    only_json = hook.list_keys(
        bucket, object_filter=lambda objects, _from, _to: [o["Key"] for o in objects if o["Key"].endswith(".json")]
    )
    assert only_json == ["data/2024/b.json"]


def test_listing_paginates_past_one_thousand_keys(aws_conn_id: str, big_bucket: tuple[str, list[str]]) -> None:
    name, keys = big_bucket
    hook = S3Hook(aws_conn_id=aws_conn_id)
    assert hook.list_keys(name, prefix="many/") == keys
    assert hook.list_keys(name, prefix="many/", page_size=300) == keys
    assert hook.list_keys(name, prefix="many/", start_after_key="many/00990.txt") == keys[991:]
    assert hook.list_keys(name, start_after_key="many/00010.txt", max_items=5) == keys[11:16]


def test_delete_objects_in_batches(hook: S3Hook, bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_module, "DELETE_BATCH", 3)  # S3 takes 1,000 a call; 3 makes 7 keys need 3 calls
    calls: list[int] = []
    hook.conn.meta.events.register(
        "provide-client-params.s3.DeleteObjects", lambda params, **_: calls.append(len(params["Delete"]["Objects"]))
    )
    keys = [f"copy/{number}" for number in range(7)]
    for key in [*keys, "keep"]:
        hook.load_string("x", key, bucket)
    hook.delete_objects(bucket, keys)
    assert calls == [3, 3, 1]
    assert hook.list_keys(bucket) == ["keep"]
    hook.delete_objects(bucket, "keep")
    assert hook.list_keys(bucket) == []


def test_without_a_connection_boto3_defaults_apply(moto_endpoint: str, bucket: str) -> None:
    hook = S3Hook(aws_conn_id="no_such_connection", endpoint_url=moto_endpoint)
    assert hook.check_for_bucket(bucket) is True
    assert hook.settings.access_key_id is None
