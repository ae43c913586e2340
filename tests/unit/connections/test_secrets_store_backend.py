"""The metadata-database backend on a SQLite file: encryption at rest, upserts, the shared contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dagmap.config import reset_settings
from dagmap.connections import Connection, InMemorySecretsBackend, Variable, crypto, set_secrets_backends
from dagmap.connections.store_backend import MetadataStoreSecretsBackend, StoredVariable
from dagmap.errors import SecretsConfigurationError
from dagmap.store.db import dispose_engines, migrate


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate(url)
    yield url
    dispose_engines()


@pytest.fixture
def fernet_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = crypto.generate_fernet_key()
    monkeypatch.setenv("DAGMAP__CORE__FERNET_KEY", key)
    reset_settings()
    return key


def _raw(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_secrets_are_encrypted_at_rest(database: str, fernet_key: str) -> None:
    backend = MetadataStoreSecretsBackend(database)
    backend.set_connection(
        Connection("db", "postgres", "h", login="u", password="pw-plain", extra={"kee": "vee-plain"})
    )
    backend.set_variable("var", "value-plain")
    [(password, extra)] = _raw(database, "SELECT password, extra FROM connection")
    [(val,)] = _raw(database, "SELECT val FROM variable")
    assert "pw-plain" not in str(password) and "vee-plain" not in str(extra) and "value-plain" not in str(val)
    assert backend.get_connection("db") == Connection(
        "db", "postgres", "h", login="u", password="pw-plain", extra={"kee": "vee-plain"}
    )
    assert backend.get_variable("var") == "value-plain"


def test_storing_a_secret_without_a_key_raises(database: str) -> None:
    backend = MetadataStoreSecretsBackend(database)
    with pytest.raises(SecretsConfigurationError):
        backend.set_variable("v", "x")
    with pytest.raises(SecretsConfigurationError):
        backend.set_connection(Connection("c", "http", password="x"))
    backend.set_connection(Connection("nosecret", "http", host="h"))  # nothing secret: no key needed
    assert backend.get_connection("nosecret") == Connection("nosecret", "http", host="h")


def test_set_replaces_and_delete_reports(database: str, fernet_key: str) -> None:
    backend = MetadataStoreSecretsBackend(database)
    backend.set_variable("v", "1", "first")
    backend.set_variable("v", "2")
    assert backend.get_variable("v") == "2"
    assert backend.variable_keys() == ["v"]
    backend.set_connection(Connection("c", "http", host="one"))
    backend.set_connection(Connection("c", "http", host="two", password="pw"))
    assert backend.get_connection("c") == Connection("c", "http", host="two", password="pw")
    assert backend.connection_ids() == ["c"]
    assert backend.delete_variable("v") is True and backend.delete_variable("v") is False
    assert backend.delete_connection("c") is True and backend.delete_connection("c") is False
    assert backend.get_variable("v") is None and backend.get_connection("c") is None


def test_rotation_rewrites_every_secret_with_the_new_key(
    database: str, fernet_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MetadataStoreSecretsBackend(database)
    backend.set_connection(Connection("c", "http", password="pw", extra={"a": "b"}))
    backend.set_variable("v", "val")
    new = crypto.generate_fernet_key()
    monkeypatch.setenv("DAGMAP__CORE__FERNET_KEY", f"{new},{fernet_key}")
    reset_settings()
    assert backend.rotate_fernet_keys() == 2
    monkeypatch.setenv("DAGMAP__CORE__FERNET_KEY", new)
    reset_settings()
    assert backend.get_variable("v") == "val"
    assert backend.get_connection("c") == Connection("c", "http", password="pw", extra={"a": "b"})


def test_default_chain_reads_env_then_database(database: str, fernet_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", database)
    reset_settings()
    set_secrets_backends(None)
    Variable.set("color", "blue")
    assert Variable.get("color") == "blue"
    monkeypatch.setenv("DAGMAP_VAR_COLOR", "red")
    assert Variable.get("color") == "red"
    assert MetadataStoreSecretsBackend().get_variable("color") == "blue"


# --- one contract, every writable backend ------------------------------------------------------------------


@pytest.fixture(params=["memory", "database"])
def writable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    if request.param == "memory":
        yield InMemorySecretsBackend()
        return
    request.getfixturevalue("fernet_key")
    yield MetadataStoreSecretsBackend(request.getfixturevalue("database"))


def test_writable_backend_contract(writable: MetadataStoreSecretsBackend) -> None:
    conn = Connection("c", "postgres", "h", "db", "u", "p@ss:w/rd", 5432, {"sslmode": "require"}, "desc")
    assert writable.get_connection("c") is None
    writable.set_connection(conn)
    assert writable.get_connection("c") == conn
    writable.set_variable("k", "")
    assert writable.get_variable("k") == ""
    writable.set_variable("k", "ünïcode")
    assert writable.get_variable("k") == "ünïcode"
    assert writable.delete_variable("k") is True
    assert writable.get_variable("k") is None
    assert writable.delete_connection("c") is True
    assert writable.get_connection("c") is None


def test_add_connection_keeps_an_existing_one(database: str, fernet_key: str) -> None:
    backend = MetadataStoreSecretsBackend(database)
    assert backend.add_connection(Connection("c", "http", host="first", password="pw1")) is True
    assert backend.add_connection(Connection("c", "http", host="second", password="pw2")) is False
    assert backend.get_connection("c") == Connection("c", "http", host="first", password="pw1")


def test_lists_decrypt_in_id_order(database: str, fernet_key: str) -> None:
    backend = MetadataStoreSecretsBackend(database)
    backend.set_connection(Connection("b", "http", password="pw", extra={"token": "t"}, description="second"))
    backend.set_connection(Connection("a", "postgres", host="h"))
    backend.set_variable("y", "why", "a description")
    backend.set_variable("x", "ex")
    assert backend.list_connections() == [
        Connection("a", "postgres", host="h"),
        Connection("b", "http", password="pw", extra={"token": "t"}, description="second"),
    ]
    assert backend.list_variables() == [StoredVariable("x", "ex"), StoredVariable("y", "why", "a description")]
