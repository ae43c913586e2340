"""Object stores for XCom values too large for the database: a local directory and S3 (boto3).

Paths are relative, ``/``-separated keys; ``delete_prefix`` matches keys by string prefix, as S3 does.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from dagmap.errors import ConfigurationError, XComNotFound


@runtime_checkable
class ObjectStore(Protocol):
    """Where offloaded XCom documents live. Implementations must pass tests/integration/xcom's contract."""

    def put(self, path: str, data: bytes) -> None:
        """Write (or overwrite) the object at ``path``."""

    def get(self, path: str) -> bytes:
        """The object's bytes; :class:`XComNotFound` if there is none."""

    def exists(self, path: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose path starts with ``prefix`` (not empty); return how many."""


def check_path(path: str) -> str:
    """Refuse paths that could leave the store's root (absolute, ``..``, empty segments)."""
    segments = path.split("/")
    if not path or any(segment in ("", ".", "..") for segment in segments) or "\\" in path or "\0" in path:
        raise ValueError(f"invalid object store path {path!r}")
    return path


def _check_prefix(prefix: str) -> str:
    if not prefix:
        raise ValueError("refusing to delete with an empty prefix (it would delete the whole store)")
    check_path(prefix.rstrip("/") or ".")
    return prefix


class LocalDirectoryObjectStore:
    """Objects as files under ``root``; writes are atomic (a temporary file renamed into place)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalDirectoryObjectStore({str(self.root)!r})"

    def _file(self, path: str) -> Path:
        return self.root.joinpath(*check_path(path).split("/"))

    def put(self, path: str, data: bytes) -> None:
        target = self._file(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.name)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, path: str) -> bytes:
        try:
            return self._file(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise XComNotFound(f"no object {path!r} in {self!r}") from None

    def exists(self, path: str) -> bool:
        return self._file(path).is_file()

    def _files_under(self, directory: Path) -> Iterator[Path]:
        for folder, _, names in os.walk(directory):
            for name in names:
                if not name.startswith(".tmp-"):
                    yield Path(folder, name)

    def delete_prefix(self, prefix: str) -> int:
        _check_prefix(prefix)
        head = prefix.rpartition("/")[0]
        directory = self.root.joinpath(*head.split("/")) if head else self.root
        if not directory.is_dir():
            return 0
        deleted = 0
        for candidate in list(self._files_under(directory)):
            key = candidate.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                candidate.unlink(missing_ok=True)
                deleted += 1
        self._remove_empty_directories(directory)
        return deleted

    def _remove_empty_directories(self, directory: Path) -> None:
        inside = [Path(folder) for folder, _, _ in os.walk(directory)]
        for folder in [*sorted(inside, key=lambda path: -len(path.parts)), *directory.parents]:
            if folder == self.root or self.root not in folder.parents:
                continue
            try:
                folder.rmdir()
            except OSError:  # not empty
                pass


class S3ObjectStore:
    """Objects in an S3 bucket under ``prefix``; any S3-compatible endpoint via ``endpoint_url``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        *,
        page_size: int = 1000,
        **client_kwargs: Any,
    ) -> None:
        import boto3

        self.page_size = page_size
        """Keys listed (and deleted) per request by delete_prefix; S3 allows at most 1,000."""
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url, **client_kwargs)

    def __repr__(self) -> str:
        return f"S3ObjectStore('s3://{self.bucket}/{self.prefix}')"

    def _key(self, path: str) -> str:
        check_path(path)
        return f"{self.prefix}/{path}" if self.prefix else path

    def put(self, path: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(path), Body=data)

    def get(self, path: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(path))
        except self.client.exceptions.NoSuchKey:
            raise XComNotFound(f"no object {path!r} in {self!r}") from None
        body = response["Body"]
        try:
            return body.read()  # type: ignore[no-any-return]
        finally:
            body.close()

    def exists(self, path: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(path))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete_prefix(self, prefix: str) -> int:
        _check_prefix(prefix)
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        deleted = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=full_prefix, PaginationConfig={"PageSize": self.page_size}
        )
        for page in pages:  # a page holds at most 1,000 keys, the most one delete_objects call accepts
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                response = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                errors = response.get("Errors", [])
                if errors:
                    raise OSError(f"S3 refused to delete {len(errors)} objects, e.g. {errors[0]}")
                deleted += len(keys)
        return deleted

    def close(self) -> None:
        self.client.close()


class LazyObjectStore:
    """Builds the real store on first use (so that merely configuring S3 opens no connection)."""

    def __init__(self, factory: Callable[[], ObjectStore]) -> None:
        self._factory = factory
        self._store: ObjectStore | None = None

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = self._factory()
        return self._store

    def put(self, path: str, data: bytes) -> None:
        self.store.put(path, data)

    def get(self, path: str) -> bytes:
        return self.store.get(path)

    def exists(self, path: str) -> bool:
        return self.store.exists(path)

    def delete_prefix(self, prefix: str) -> int:
        return self.store.delete_prefix(prefix)


def object_store_from_url(url: str, endpoint_url: str | None = None) -> ObjectStore:
    """``file:///absolute/path`` or ``s3://bucket/prefix`` (``endpoint_url`` for S3-compatible services)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ConfigurationError(f"invalid XCom object store URL {url!r}: use file:///absolute/path")
        return LocalDirectoryObjectStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigurationError(f"invalid XCom object store URL {url!r}: use s3://bucket/prefix")
        return S3ObjectStore(parts.netloc, unquote(parts.path), endpoint_url=endpoint_url)
    raise ConfigurationError(f"unsupported XCom object store URL {url!r}: use file:///path or s3://bucket/prefix")
