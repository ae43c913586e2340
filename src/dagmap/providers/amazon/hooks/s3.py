"""``S3Hook``: Airflow's S3 methods over a boto3 client; keys may be full ``s3://bucket/key`` URLs.

Listing paginates (S3 returns at most 1,000 keys a page); deletes go in batches of 1,000.
"""

from __future__ import annotations

import fnmatch
import gzip as gzip_module
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from dagmap.errors import DagmapError
from dagmap.providers.amazon.hooks.base_aws import AwsBaseHook

S3_URL_SCHEMES = ("s3", "s3a", "s3n")
DELETE_BATCH = 1000

ObjectFilter = Callable[[list[dict[str, Any]], datetime | None, datetime | None], list[str]]


def _not_found(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}


def filter_by_last_modified(
    objects: list[dict[str, Any]], from_datetime: datetime | None = None, to_datetime: datetime | None = None
) -> list[str]:
    """The keys of ``objects`` modified in [from_datetime, to_datetime); the default ``object_filter``."""
    return [
        item["Key"]
        for item in objects
        if (from_datetime is None or item["LastModified"] >= from_datetime)
        and (to_datetime is None or item["LastModified"] < to_datetime)
    ]


class S3Hook(AwsBaseHook):
    """Talks to S3 (or any S3-compatible server through the connection's ``endpoint_url``)."""

    hook_name = "Amazon S3"

    def __init__(
        self,
        aws_conn_id: str | None = AwsBaseHook.default_conn_name,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        verify: bool | str | None = None,
    ) -> None:
        super().__init__(aws_conn_id, region_name, endpoint_url, verify, client_type="s3")

    # --- bucket and key arguments --------------------------------------------------------------------
    @staticmethod
    def parse_s3_url(s3url: str) -> tuple[str, str]:
        """``s3://bucket/path/key`` -> ``("bucket", "path/key")``."""
        parts = urlsplit(s3url)
        if parts.scheme not in S3_URL_SCHEMES or not parts.netloc:
            raise DagmapError(f"Not an S3 URL (s3://bucket/key): {s3url!r}", argument="key")
        return parts.netloc, parts.path.lstrip("/")

    @staticmethod
    def get_s3_bucket_key(
        bucket: str | None, key: str, bucket_param_name: str = "bucket_name", key_param_name: str = "key"
    ) -> tuple[str, str]:
        """The (bucket, key) pair: a full URL in ``key`` when ``bucket`` is None, a relative key otherwise."""
        if bucket is None:
            if urlsplit(key).scheme not in S3_URL_SCHEMES:
                raise DagmapError(
                    f"Give {bucket_param_name}, or {key_param_name} as a full s3:// URL: {key!r}",
                    argument=bucket_param_name,
                )
            return S3Hook.parse_s3_url(key)
        if urlsplit(key).scheme in S3_URL_SCHEMES:
            raise DagmapError(
                f"{key_param_name} must be relative to the bucket when {bucket_param_name} is given: {key!r}",
                argument=key_param_name,
            )
        return bucket, key

    @staticmethod
    def _bucket(bucket_name: str | None) -> str:
        if not bucket_name:
            raise DagmapError("bucket_name is required", argument="bucket_name")
        return bucket_name

    # --- buckets -------------------------------------------------------------------------------------
    def check_for_bucket(self, bucket_name: str | None = None) -> bool:
        try:
            self.conn.head_bucket(Bucket=self._bucket(bucket_name))
        except ClientError as error:
            if _not_found(error) or error.response.get("Error", {}).get("Code") == "403":
                return False
            raise
        return True

    def create_bucket(self, bucket_name: str | None = None, region_name: str | None = None) -> None:
        bucket = self._bucket(bucket_name)
        region = region_name or self.conn.meta.region_name
        if region in (None, "us-east-1", "aws-global"):
            self.conn.create_bucket(Bucket=bucket)
        else:
            self.conn.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})

    def delete_bucket(self, bucket_name: str, force_delete: bool = False) -> None:
        """Delete the bucket; with ``force_delete`` its objects first."""
        if force_delete:
            keys = self.list_keys(bucket_name)
            if keys:
                self.delete_objects(bucket_name, keys)
        self.conn.delete_bucket(Bucket=bucket_name)

    # --- listing -------------------------------------------------------------------------------------
    def _pages(
        self,
        bucket: str,
        prefix: str,
        delimiter: str,
        start_after_key: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = delimiter
        if start_after_key:
            params["StartAfter"] = start_after_key
        pagination = {"PageSize": page_size, "MaxItems": max_items}
        paginator = self.conn.get_paginator("list_objects_v2")
        yield from paginator.paginate(**params, PaginationConfig=pagination)

    def list_prefixes(
        self,
        bucket_name: str | None = None,
        prefix: str | None = None,
        delimiter: str | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> list[str]:
        """The common prefixes ("folders") directly under ``prefix``, split on ``delimiter``."""
        prefixes: list[str] = []
        pages = self._pages(
            self._bucket(bucket_name), prefix or "", delimiter or "", page_size=page_size, max_items=max_items
        )
        for page in pages:
            prefixes.extend(item["Prefix"] for item in page.get("CommonPrefixes", []))
        return prefixes

    def check_for_prefix(self, prefix: str, delimiter: str, bucket_name: str | None = None) -> bool:
        prefix = prefix if prefix.endswith(delimiter) else prefix + delimiter
        parent = prefix.rsplit(delimiter, 2)[0] + delimiter if prefix.count(delimiter) > 1 else ""
        return prefix in self.list_prefixes(bucket_name, parent, delimiter)

    def list_keys(
        self,
        bucket_name: str | None = None,
        prefix: str | None = "",
        delimiter: str | None = "",
        page_size: int | None = None,
        max_items: int | None = None,
        start_after_key: str | None = "",
        from_datetime: datetime | None = None,
        to_datetime: datetime | None = None,
        object_filter: ObjectFilter | None = None,
        apply_wildcard: bool = False,
    ) -> list[str]:
        """Keys under ``prefix`` in key order, every page; ``apply_wildcard`` treats ``*`` in it as a glob."""
        prefix = prefix or ""
        search_prefix = prefix.split("*", 1)[0] if apply_wildcard else prefix
        objects: list[dict[str, Any]] = []
        pages = self._pages(
            self._bucket(bucket_name),
            search_prefix,
            delimiter or "",
            start_after_key=start_after_key,
            page_size=page_size,
            max_items=max_items,
        )
        for page in pages:
            objects.extend(page.get("Contents", []))
        if apply_wildcard:
            objects = [item for item in objects if fnmatch.fnmatchcase(item["Key"], prefix)]
        if object_filter is not None or from_datetime is not None or to_datetime is not None:
            return (object_filter or filter_by_last_modified)(objects, from_datetime, to_datetime)
        return [item["Key"] for item in objects]

    # --- reading -------------------------------------------------------------------------------------
    def check_for_key(self, key: str, bucket_name: str | None = None) -> bool:
        bucket, key = self.get_s3_bucket_key(bucket_name, key)
        try:
            self.conn.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if _not_found(error):
                return False
            raise
        return True

    def get_key(self, key: str, bucket_name: str | None = None) -> Any:
        """The boto3 ``S3.Object`` with its metadata loaded; raises ``DagmapError`` when it does not exist."""
        bucket, key = self.get_s3_bucket_key(bucket_name, key)
        obj = self.resource.Object(bucket, key)
        try:
            obj.load()
        except ClientError as error:
            if _not_found(error):
                raise DagmapError(f"The S3 object s3://{bucket}/{key} does not exist", argument="key") from None
            raise
        return obj

    def read_key_bytes(self, key: str, bucket_name: str | None = None) -> bytes:
        bucket, key = self.get_s3_bucket_key(bucket_name, key)
        try:
            body: bytes = self.conn.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if _not_found(error):
                raise DagmapError(f"The S3 object s3://{bucket}/{key} does not exist", argument="key") from None
            raise
        return body

    def read_key(self, key: str, bucket_name: str | None = None) -> str:
        """The object's content decoded as UTF-8."""
        return self.read_key_bytes(key, bucket_name).decode("utf-8")

    def download_file(self, key: str, local_path: str | Path, bucket_name: str | None = None) -> Path:
        bucket, key = self.get_s3_bucket_key(bucket_name, key)
        self.conn.download_file(bucket, key, str(local_path))
        return Path(local_path)

    # --- writing -------------------------------------------------------------------------------------
    def _put(
        self, data: bytes, key: str, bucket_name: str | None, replace: bool, encrypt: bool, acl: str | None
    ) -> None:
        bucket, key = self.get_s3_bucket_key(bucket_name, key)
        if not replace and self.check_for_key(key, bucket):
            raise DagmapError(f"The key s3://{bucket}/{key} already exists (pass replace=True)", argument="key")
        extra: dict[str, Any] = {"ServerSideEncryption": "AES256"} if encrypt else {}
        if acl:
            extra["ACL"] = acl
        self.conn.put_object(Bucket=bucket, Key=key, Body=data, **extra)

    def load_string(
        self,
        string_data: str,
        key: str,
        bucket_name: str | None = None,
        replace: bool = False,
        encrypt: bool = False,
        encoding: str | None = None,
        acl_policy: str | None = None,
        compression: str | None = None,
    ) -> None:
        """Store ``string_data`` (``compression="gzip"`` compresses it) under ``key``."""
        data = string_data.encode(encoding or "utf-8")
        if compression == "gzip":
            data = gzip_module.compress(data)
        elif compression is not None:
            raise DagmapError(f"Unsupported compression {compression!r} (only 'gzip')", argument="compression")
        self._put(data, key, bucket_name, replace, encrypt, acl_policy)

    def load_bytes(
        self,
        bytes_data: bytes,
        key: str,
        bucket_name: str | None = None,
        replace: bool = False,
        encrypt: bool = False,
        acl_policy: str | None = None,
    ) -> None:
        self._put(bytes_data, key, bucket_name, replace, encrypt, acl_policy)

    def load_file(
        self,
        filename: str | Path,
        key: str,
        bucket_name: str | None = None,
        replace: bool = False,
        encrypt: bool = False,
        gzip: bool = False,
        acl_policy: str | None = None,
    ) -> None:
        """Upload a local file (multipart for large ones); ``gzip`` compresses it first."""
        bucket, key = self.get_s3_bucket_key(bucket_name, key)
        if not replace and self.check_for_key(key, bucket):
            raise DagmapError(f"The key s3://{bucket}/{key} already exists (pass replace=True)", argument="key")
        if gzip:
            self._put(gzip_module.compress(Path(filename).read_bytes()), key, bucket, True, encrypt, acl_policy)
            return
        extra: dict[str, Any] = {"ServerSideEncryption": "AES256"} if encrypt else {}
        if acl_policy:
            extra["ACL"] = acl_policy
        self.conn.upload_file(str(filename), bucket, key, ExtraArgs=extra or None)

    def copy_object(
        self,
        source_bucket_key: str,
        dest_bucket_key: str,
        source_bucket_name: str | None = None,
        dest_bucket_name: str | None = None,
        source_version_id: str | None = None,
        acl_policy: str | None = None,
    ) -> dict[str, Any]:
        """Copy one object; each key is a full URL unless its bucket name is given."""
        dest_bucket, dest_key = self.get_s3_bucket_key(
            dest_bucket_name, dest_bucket_key, "dest_bucket_name", "dest_bucket_key"
        )
        source_bucket, source_key = self.get_s3_bucket_key(
            source_bucket_name, source_bucket_key, "source_bucket_name", "source_bucket_key"
        )
        source: dict[str, str] = {"Bucket": source_bucket, "Key": source_key}
        if source_version_id:
            source["VersionId"] = source_version_id
        extra: dict[str, Any] = {"ACL": acl_policy} if acl_policy else {}
        response: dict[str, Any] = self.conn.copy_object(Bucket=dest_bucket, Key=dest_key, CopySource=source, **extra)
        return response

    def delete_objects(self, bucket: str, keys: str | list[str]) -> None:
        """Delete ``keys`` (one or many) in batches of 1,000; raises when S3 reports any failure."""
        remaining = [keys] if isinstance(keys, str) else list(keys)
        failed: list[str] = []
        for start in range(0, len(remaining), DELETE_BATCH):
            batch = remaining[start : start + DELETE_BATCH]
            response = self.conn.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
            failed.extend(error["Key"] for error in response.get("Errors", []))
        if failed:
            raise DagmapError(f"S3 could not delete {len(failed)} keys in {bucket!r}: {failed[:10]}")
