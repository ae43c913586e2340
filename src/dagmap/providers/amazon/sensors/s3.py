"""``S3KeySensor`` (``airflow.providers.amazon.aws.sensors.s3``): wait for S3 keys to exist."""

from __future__ import annotations

import fnmatch
import inspect
import logging
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError

from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.sensors.base import BaseSensorOperator

log = logging.getLogger("dagmap.task")


def _head(hook: S3Hook, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        response: dict[str, Any] = hook.conn.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return response


def _objects(hook: S3Hook, bucket: str, prefix: str) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for page in hook.conn.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects.extend(page.get("Contents", []))
    return objects


class S3KeySensor(BaseSensorOperator):
    """Done when every key of ``bucket_key`` (one key or a list; full ``s3://`` URLs unless ``bucket_name``
    is given) exists. ``wildcard_match`` reads keys as Unix globs, ``use_regex`` as regular expressions.
    ``check_fn(files)`` (or ``check_fn(files, **context)``) may decide on the matched objects' metadata
    (``metadata_keys``, default ``["Size"]``; ``["*"]`` for all of it)."""

    template_fields: Sequence[str] = ("bucket_key", "bucket_name")

    def __init__(
        self,
        *,
        bucket_key: str | list[str],
        bucket_name: str | None = None,
        wildcard_match: bool = False,
        check_fn: Callable[..., bool] | None = None,
        aws_conn_id: str | None = "aws_default",
        verify: str | bool | None = None,
        deferrable: bool = False,
        use_regex: bool = False,
        metadata_keys: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bucket_key = bucket_key
        self.bucket_name = bucket_name
        self.wildcard_match = wildcard_match
        self.check_fn = check_fn
        self.aws_conn_id = aws_conn_id
        self.verify = verify
        self.deferrable = deferrable
        self.use_regex = use_regex
        self.metadata_keys = metadata_keys if metadata_keys is not None else ["Size"]

    @cached_property
    def hook(self) -> S3Hook:
        return S3Hook(aws_conn_id=self.aws_conn_id, verify=self.verify)

    def _metadata(self, bucket: str, key: str, listed: dict[str, Any] | None) -> dict[str, Any]:
        head = _head(self.hook, bucket, key) if listed is None or "*" in self.metadata_keys else None
        if "*" in self.metadata_keys:
            return dict(head or {})
        metadata: dict[str, Any] = {}
        for name in self.metadata_keys:
            if listed is not None and name in listed:
                metadata[name] = listed[name]
                continue
            if head is None:
                head = _head(self.hook, bucket, key) or {}
            metadata[name] = head.get("ContentLength") if name == "Size" else head.get(name)
        return metadata

    def _check_key(self, key: str, context: dict[str, Any]) -> bool:
        bucket, key = S3Hook.get_s3_bucket_key(self.bucket_name, key, "bucket_name", "bucket_key")
        log.info("Poking for key : s3://%s/%s", bucket, key)
        if self.use_regex:
            return any(re.match(key, item["Key"]) for item in _objects(self.hook, bucket, ""))
        if self.wildcard_match:
            prefix = re.split(r"[\[*?]", key, maxsplit=1)[0]
            matches = [item for item in _objects(self.hook, bucket, prefix) if fnmatch.fnmatch(item["Key"], key)]
            if not matches:
                return False
            files = [self._metadata(bucket, item["Key"], item) for item in matches]
        else:
            head = _head(self.hook, bucket, key)
            if head is None:
                return False
            files = [self._metadata(bucket, key, {"Size": head.get("ContentLength"), **head})]
        if self.check_fn is None:
            return True
        parameters = inspect.signature(self.check_fn).parameters.values()
        if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
            return bool(self.check_fn(files, **context))
        return bool(self.check_fn(files))

    def poke(self, context: dict[str, Any]) -> bool:
        if isinstance(self.bucket_key, str):
            return self._check_key(self.bucket_key, context)
        return all(self._check_key(key, context) for key in self.bucket_key)
