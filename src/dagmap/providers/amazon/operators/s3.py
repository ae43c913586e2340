"""S3 operators: create a bucket, copy an object, list keys, delete objects (by keys or by prefix)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.sdk.baseoperator import BaseOperator

log = logging.getLogger("dagmap.task")


class S3CreateBucketOperator(BaseOperator):
    """Creates ``bucket_name`` unless it exists already."""

    template_fields = ("bucket_name",)

    def __init__(
        self,
        *,
        bucket_name: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bucket_name = bucket_name
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def execute(self, context: dict[str, Any]) -> None:
        hook = S3Hook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
        if hook.check_for_bucket(self.bucket_name):
            log.info("Bucket %s already exists", self.bucket_name)
            return
        hook.create_bucket(self.bucket_name, self.region_name)
        log.info("Created bucket %s", self.bucket_name)


class S3CopyObjectOperator(BaseOperator):
    """Copies one object; each key is a full ``s3://`` URL unless its bucket name is given."""

    template_fields = ("source_bucket_key", "dest_bucket_key", "source_bucket_name", "dest_bucket_name")

    def __init__(
        self,
        *,
        source_bucket_key: str,
        dest_bucket_key: str,
        source_bucket_name: str | None = None,
        dest_bucket_name: str | None = None,
        source_version_id: str | None = None,
        aws_conn_id: str | None = "aws_default",
        acl_policy: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source_bucket_key = source_bucket_key
        self.dest_bucket_key = dest_bucket_key
        self.source_bucket_name = source_bucket_name
        self.dest_bucket_name = dest_bucket_name
        self.source_version_id = source_version_id
        self.aws_conn_id = aws_conn_id
        self.acl_policy = acl_policy

    def execute(self, context: dict[str, Any]) -> None:
        S3Hook(aws_conn_id=self.aws_conn_id).copy_object(
            self.source_bucket_key,
            self.dest_bucket_key,
            self.source_bucket_name,
            self.dest_bucket_name,
            self.source_version_id,
            self.acl_policy,
        )


class S3ListOperator(BaseOperator):
    """Returns the keys under ``prefix`` (every page), the usual upstream of a task mapped over keys."""

    template_fields = ("bucket", "prefix", "delimiter")

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        apply_wildcard: bool = False,
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bucket = bucket
        self.prefix = prefix
        self.delimiter = delimiter
        self.apply_wildcard = apply_wildcard
        self.aws_conn_id = aws_conn_id

    def execute(self, context: dict[str, Any]) -> list[str]:
        keys = S3Hook(aws_conn_id=self.aws_conn_id).list_keys(
            self.bucket, prefix=self.prefix, delimiter=self.delimiter, apply_wildcard=self.apply_wildcard
        )
        log.info("Listed %d keys under s3://%s/%s", len(keys), self.bucket, self.prefix)
        return keys


class S3DeleteObjectsOperator(BaseOperator):
    """Deletes the given ``keys``, or every key under ``prefix`` (exactly one of the two)."""

    template_fields = ("keys", "bucket", "prefix")

    def __init__(
        self,
        *,
        bucket: str,
        keys: str | Sequence[str] | None = None,
        prefix: str | None = None,
        aws_conn_id: str | None = "aws_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (keys is None) == (prefix is None):
            raise DagDefinitionError(
                "S3DeleteObjectsOperator needs exactly one of keys and prefix", task_id=self.task_id, argument="keys"
            )
        self.bucket = bucket
        self.keys = keys
        self.prefix = prefix
        self.aws_conn_id = aws_conn_id

    def execute(self, context: dict[str, Any]) -> None:
        hook = S3Hook(aws_conn_id=self.aws_conn_id)
        if self.keys is not None:
            keys = [self.keys] if isinstance(self.keys, str) else list(self.keys)
        else:
            keys = hook.list_keys(self.bucket, prefix=self.prefix)
        if keys:
            hook.delete_objects(self.bucket, keys)
        log.info("Deleted %d objects from %s", len(keys), self.bucket)
