"""Where XCom values are kept: inline in the database row, or in an object store with a reference inline.

Used by the metadata store and the task runner; this module never touches the database itself.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from dagmap.config import Settings, get_settings
from dagmap.errors import ConfigurationError, XComNotFound, XComSerializationError
from dagmap.xcom.object_store import LazyObjectStore, ObjectStore, object_store_from_url
from dagmap.xcom.serde import TAG, deserialize, serialize_for_task

_REFERENCE_TAG = "xcom_ref"
_REFERENCE_PREFIX = f'{{"{TAG}":"{_REFERENCE_TAG}"'
"""Every reference document starts with this; a user value never does (user dicts holding TAG are escaped)."""


def _segment(text: str) -> str:
    """One path segment, safe in file names and S3 keys: ``/``, ``%`` and the like are %-escaped."""
    if text in ("", ".", ".."):
        return {"": "%", ".": "%2E", "..": "%2E%2E"}[text]  # quote() never produces these
    return quote(text, safe=":+=@,")


def object_path(dag_id: str, run_id: str, task_id: str, map_index: int, key: str) -> str:
    """``<dag_id>/<run_id>/<task_id>/<map_index>/<key>.json`` with each part escaped."""
    parts = (_segment(dag_id), _segment(run_id), _segment(task_id), str(map_index), _segment(key))
    return "/".join(parts) + ".json"


class XComStorage:
    """Serializes XCom values; those larger than ``threshold`` bytes go to ``object_store``.

    ``threshold=None`` (or no store) keeps everything inline; references already stored are still followed.
    """

    def __init__(self, object_store: ObjectStore | None = None, *, threshold: int | None = 64 * 1024) -> None:
        if threshold is not None and threshold < 0:
            raise ConfigurationError(f"the XCom object store threshold must be >= 0, not {threshold}")
        self.object_store = object_store
        self.threshold = threshold if object_store is not None else None

    def encode(self, value: Any, *, dag_id: str, run_id: str, task_id: str, map_index: int, key: str) -> str:
        """The text to store in the XCom row: the serialized value, or a reference to where it was put."""
        text = serialize_for_task(value, dag_id=dag_id, task_id=task_id, map_index=map_index, key=key)
        if self.threshold is None or self.object_store is None:
            return text
        if len(text) <= self.threshold and text.isascii():  # cheap: no need to encode
            return text
        data = text.encode("utf-8")
        if len(data) <= self.threshold:
            return text
        path = object_path(dag_id, run_id, task_id, map_index, key)
        self.object_store.put(path, data)
        return json.dumps({TAG: _REFERENCE_TAG, "path": path, "size": len(data)}, separators=(",", ":"))

    def decode(self, stored: str) -> Any:
        """The value for a stored text, fetched from the object store when it is a reference."""
        if not self.is_reference(stored):
            return deserialize(stored)
        try:
            path = json.loads(stored)["path"]
        except (ValueError, KeyError, TypeError) as error:
            raise XComSerializationError(f"invalid XCom object store reference: {stored[:200]!r}") from error
        if self.object_store is None:
            raise XComNotFound(f"the XCom value is in an object store ({path!r}) but none is configured")
        return deserialize(self.object_store.get(path).decode("utf-8"))

    @staticmethod
    def is_reference(stored: str) -> bool:
        return stored.startswith(_REFERENCE_PREFIX)

    def delete_run(self, dag_id: str, run_id: str) -> int:
        """Delete the objects of one DAG run; return how many there were."""
        if self.object_store is None:
            return 0
        return self.object_store.delete_prefix(f"{_segment(dag_id)}/{_segment(run_id)}/")

    def delete_task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> int:
        """Delete the objects of one task instance (e.g. when it is cleared); return how many there were."""
        if self.object_store is None:
            return 0
        prefix = f"{_segment(dag_id)}/{_segment(run_id)}/{_segment(task_id)}/{map_index}/"
        return self.object_store.delete_prefix(prefix)


def xcom_storage_from_settings(settings: Settings | None = None) -> XComStorage:
    """``core.xcom_backend``: ``database`` never offloads; ``object_store`` offloads above the threshold.

    The store is opened lazily, so references left by an earlier ``object_store`` setting stay readable.
    """
    settings = settings or get_settings()
    core = settings.core
    url, endpoint_url = settings.xcom_object_store_url, core.xcom_object_store_endpoint_url
    store = LazyObjectStore(lambda: object_store_from_url(url, endpoint_url))
    if core.xcom_backend == "database":
        return XComStorage(store, threshold=None)
    if core.xcom_backend == "object_store":
        return XComStorage(store, threshold=core.xcom_object_store_threshold)
    raise ConfigurationError(
        f"unknown core.xcom_backend {core.xcom_backend!r}: use 'database' or 'object_store'",
        argument="core.xcom_backend",
    )
