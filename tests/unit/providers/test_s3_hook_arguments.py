from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dagmap.connections import Connection, EnvironmentSecretsBackend, set_secrets_backends
from dagmap.errors import DagmapError
from dagmap.providers.amazon.hooks.s3 import S3Hook, filter_by_last_modified


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket/key.txt", ("bucket", "key.txt")),
        ("s3a://bucket/deep/path/", ("bucket", "deep/path/")),
        ("s3://bucket", ("bucket", "")),
    ],
)
def test_parse_s3_url(url: str, expected: tuple[str, str]) -> None:
    assert S3Hook.parse_s3_url(url) == expected


@pytest.mark.parametrize("url", ["http://bucket/key", "s3:///key", "bucket/key"])
def test_parse_s3_url_rejects_other_urls(url: str) -> None:
    with pytest.raises(DagmapError):
        S3Hook.parse_s3_url(url)


def test_bucket_and_key_resolution() -> None:
    assert S3Hook.get_s3_bucket_key(None, "s3://b/k") == ("b", "k")
    assert S3Hook.get_s3_bucket_key("b", "k") == ("b", "k")
    with pytest.raises(DagmapError, match="relative") as caught:
        S3Hook.get_s3_bucket_key("b", "s3://b/k", "dest_bucket_name", "dest_bucket_key")
    assert caught.value.argument == "dest_bucket_key"
    with pytest.raises(DagmapError, match="bucket_name"):
        S3Hook.get_s3_bucket_key(None, "k")


def test_filter_by_last_modified_is_half_open() -> None:
    early, late = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    objects = [{"Key": "a", "LastModified": early}, {"Key": "b", "LastModified": late}]
    assert filter_by_last_modified(objects, early, late) == ["a"]
    assert filter_by_last_modified(objects, late, None) == ["b"]
    assert filter_by_last_modified(objects) == ["a", "b"]


def test_settings_from_extra_fields_and_client_config() -> None:
    extra = {
        "aws_access_key_id": "from-extra",
        "aws_secret_access_key": "secret-from-extra",
        "aws_session_token": "session-token-from-extra",
        "region_name": "eu-central-1",
        "config_kwargs": {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 2}},
    }
    env = {"DAGMAP_CONN_AWS_X": Connection("aws_x", "aws", extra=json.dumps(extra)).get_uri()}
    set_secrets_backends([EnvironmentSecretsBackend(env)])
    hook = S3Hook("aws_x")
    settings = hook.settings
    assert (settings.access_key_id, settings.secret_access_key) == ("from-extra", "secret-from-extra")
    assert settings.session_token == "session-token-from-extra"
    client = hook.conn
    assert client.meta.region_name == "eu-central-1"
    assert client.meta.config.s3 == {"addressing_style": "path"}
