"""XComStorage building blocks that need no service: URLs, settings, references, object paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagmap.config import Settings
from dagmap.errors import ConfigurationError, XComNotFound, XComSerializationError
from dagmap.xcom.backends import XComStorage, object_path, xcom_storage_from_settings
from dagmap.xcom.object_store import (
    LazyObjectStore,
    LocalDirectoryObjectStore,
    ObjectStore,
    S3ObjectStore,
    object_store_from_url,
)
from dagmap.xcom.serde import TAG, serialize


def test_file_urls_give_a_local_store(tmp_path: Path) -> None:
    store = object_store_from_url((tmp_path / "x com").as_uri())
    assert isinstance(store, LocalDirectoryObjectStore) and store.root == tmp_path / "x com"
    assert isinstance(store, ObjectStore)


def test_s3_urls_give_an_s3_store() -> None:
    store = object_store_from_url("s3://bucket/some/prefix/", endpoint_url="http://127.0.0.1:1")
    assert isinstance(store, S3ObjectStore)
    assert (store.bucket, store.prefix) == ("bucket", "some/prefix")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:1"
    store.close()


@pytest.mark.parametrize("url", ["ftp://host/x", "/just/a/path", "file://otherhost/x", "s3:///no-bucket", "file://"])
def test_bad_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        object_store_from_url(url)


def test_lazy_store_opens_nothing_until_used(tmp_path: Path) -> None:
    opened: list[str] = []

    def factory() -> ObjectStore:
        opened.append("now")
        return LocalDirectoryObjectStore(tmp_path)

    lazy = LazyObjectStore(factory)
    assert opened == []
    lazy.put("a/b", b"x")
    assert lazy.get("a/b") == b"x" and lazy.exists("a/b") and lazy.delete_prefix("a/") == 1
    assert opened == ["now"]


def test_unknown_backend_is_a_configuration_error() -> None:
    settings = Settings.model_validate({"core": {"xcom_backend": "carrier_pigeon"}})
    with pytest.raises(ConfigurationError, match="carrier_pigeon"):
        xcom_storage_from_settings(settings)


def test_negative_threshold_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        XComStorage(LocalDirectoryObjectStore(tmp_path), threshold=-1)


def test_settings_choose_threshold() -> None:
    database = xcom_storage_from_settings(Settings.model_validate({"core": {"xcom_backend": "database"}}))
    assert database.threshold is None
    offloading = xcom_storage_from_settings(
        Settings.model_validate({"core": {"xcom_backend": "object_store", "xcom_object_store_threshold": 5}})
    )
    assert offloading.threshold == 5


def test_without_a_store_nothing_is_offloaded_and_references_fail_clearly() -> None:
    storage = XComStorage(None, threshold=0)
    stored = storage.encode("x" * 1000, dag_id="d", run_id="r", task_id="t", map_index=0, key="k")
    assert stored == serialize("x" * 1000)
    reference = f'{{"{TAG}":"xcom_ref","path":"d/r/t/0/k.json","size":5}}'
    with pytest.raises(XComNotFound, match="none is configured"):
        storage.decode(reference)
    assert storage.delete_run("d", "r") == 0


def test_is_reference_cannot_be_fooled_by_user_values() -> None:
    lookalike = {TAG: "xcom_ref", "path": "../../etc/passwd"}
    for value in (lookalike, [lookalike], f'{{"{TAG}":"xcom_ref"}}'):
        assert not XComStorage.is_reference(serialize(value))
    assert XComStorage(None).decode(serialize(lookalike)) == lookalike


def test_a_broken_reference_is_a_serialization_error(tmp_path: Path) -> None:
    with pytest.raises(XComSerializationError, match="invalid XCom object store reference"):
        XComStorage(LocalDirectoryObjectStore(tmp_path)).decode(f'{{"{TAG}":"xcom_ref"}}')


def test_object_paths_keep_readable_ids_and_escape_separators() -> None:
    assert object_path("etl", "manual__2024-01-01T00:00:00+00:00", "extract", 3, "return_value") == (
        "etl/manual__2024-01-01T00:00:00+00:00/extract/3/return_value.json"
    )
    assert object_path("a/b", "..", ".", -1, "") == "a%2Fb/%2E%2E/%2E/-1/%.json"


def test_serialization_errors_name_the_task(tmp_path: Path) -> None:
    storage = XComStorage(LocalDirectoryObjectStore(tmp_path), threshold=0)
    with pytest.raises(XComSerializationError) as caught:
        storage.encode({"x": object()}, dag_id="d", run_id="r", task_id="t", map_index=4, key="k")
    assert (caught.value.task_id, caught.value.map_index) == ("t", 4)
    assert not any(tmp_path.iterdir())


def test_the_examples_in_docs_xcom_md_run() -> None:
    document = (Path(__file__).parents[3] / "docs" / "xcom.md").read_text()
    blocks = [block.split("```", 1)[0] for block in document.split("```python\n")[1:]]
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/xcom.md", "exec"), {})
