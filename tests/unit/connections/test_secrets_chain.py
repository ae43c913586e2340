from __future__ import annotations

import json

import pytest

from dagmap.connections import (
    Connection,
    EnvironmentSecretsBackend,
    InMemorySecretsBackend,
    SecretsBackend,
    Variable,
    redact,
    set_secrets_backends,
)
from dagmap.connections.secrets import writable_backend
from dagmap.errors import ConfigurationError, ConnectionNotFound, VariableNotFound


@pytest.fixture
def store() -> InMemorySecretsBackend:
    memory = InMemorySecretsBackend()
    set_secrets_backends([EnvironmentSecretsBackend(), memory])
    return memory


def test_env_connection_by_upper_cased_id_in_uri_or_json_form(
    monkeypatch: pytest.MonkeyPatch, store: InMemorySecretsBackend
) -> None:
    monkeypatch.setenv("DAGMAP_CONN_MY_DB", "postgres://u:p@h:1/d")
    monkeypatch.setenv("DAGMAP_CONN_MY_API", json.dumps({"conn_type": "http", "host": "api"}))
    assert Connection.get("my_db").host == "h"
    assert Connection.get("my_db").conn_id == "my_db"
    assert Connection.get_connection_from_secrets("my_api").conn_type == "http"


def test_dagmap_prefix_wins_over_airflow_prefix_and_env_over_store(
    monkeypatch: pytest.MonkeyPatch, store: InMemorySecretsBackend
) -> None:
    store.set_connection(Connection("c", "http", host="from-store"))
    assert Connection.get("c").host == "from-store"
    monkeypatch.setenv("AIRFLOW_CONN_C", "http://from-airflow-env")
    assert Connection.get("c").host == "from-airflow-env"
    monkeypatch.setenv("DAGMAP_CONN_C", "http://from-dagmap-env")
    assert Connection.get("c").host == "from-dagmap-env"


def test_variables_follow_the_same_order(monkeypatch: pytest.MonkeyPatch, store: InMemorySecretsBackend) -> None:
    Variable.set("greeting", "stored")
    assert Variable.get("greeting") == "stored"
    monkeypatch.setenv("AIRFLOW_VAR_GREETING", "airflow-env")
    assert Variable.get("greeting") == "airflow-env"
    monkeypatch.setenv("DAGMAP_VAR_GREETING", "dagmap-env")
    assert Variable.get("greeting") == "dagmap-env"


def test_missing_connection_and_variable_name_the_id(store: InMemorySecretsBackend) -> None:
    with pytest.raises(ConnectionNotFound, match="'nope'") as caught:
        Connection.get("nope")
    assert caught.value.details == {"conn_id": "nope"}
    with pytest.raises(VariableNotFound, match="'missing'"):
        Variable.get("missing")


def test_variable_default_and_json(store: InMemorySecretsBackend) -> None:
    assert Variable.get("missing", default_var=None) is None
    assert Variable.get("missing", default_var={"a": 1}) == {"a": 1}
    Variable.set("config", {"rows": [1, 2]}, serialize_json=True)
    assert Variable.get("config", deserialize_json=True) == {"rows": [1, 2]}
    assert json.loads(store.variables["config"]) == {"rows": [1, 2]}
    Variable.set("number", 3)
    assert Variable.get("number") == "3"


def test_variable_delete_and_setdefault(store: InMemorySecretsBackend) -> None:
    assert Variable.setdefault("k", "first") == "first"
    assert Variable.setdefault("k", "second") == "first"
    assert Variable.delete("k") is True
    assert Variable.delete("k") is False
    with pytest.raises(VariableNotFound):
        Variable.get("k")


def test_setting_a_variable_shadowed_by_env_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, store: InMemorySecretsBackend
) -> None:
    monkeypatch.setenv("DAGMAP_VAR_SHADOWED", "env")
    Variable.set("shadowed", "db")
    assert store.variables["shadowed"] == "db"
    assert "read first" in caplog.text


def test_a_chain_without_a_writable_backend_cannot_store() -> None:
    set_secrets_backends([EnvironmentSecretsBackend()])
    with pytest.raises(ConfigurationError):
        writable_backend()


def test_fetched_connections_and_sensitive_variables_are_masked(
    monkeypatch: pytest.MonkeyPatch, store: InMemorySecretsBackend
) -> None:
    monkeypatch.setenv(
        "DAGMAP_CONN_SVC",
        json.dumps(
            {"conn_type": "http", "password": "pw-1234", "extra": {"api_key": "key-5678", "region": "eu-west-1"}}
        ),
    )
    monkeypatch.setenv("DAGMAP_VAR_SERVICE_TOKEN", "tok-9999")
    monkeypatch.setenv("DAGMAP_VAR_PLAIN", "plain-value")
    text = "pw-1234 key-5678 eu-west-1 tok-9999 plain-value"
    assert redact(text) == text  # nothing registered before the lookups
    Connection.get("svc")
    Variable.get("service_token")
    Variable.get("plain")
    assert redact(text) == "*** *** eu-west-1 *** plain-value"


def test_environment_backend_reads_a_given_mapping() -> None:
    backend = EnvironmentSecretsBackend({"DAGMAP_VAR_X": "1", "AIRFLOW_CONN_Y": "aws://"})
    assert backend.get_variable("x") == "1"
    assert backend.get_connection("y") == Connection("y", "aws")
    assert backend.get_connection("x") is None


@pytest.mark.parametrize("backend", [EnvironmentSecretsBackend({}), InMemorySecretsBackend()])
def test_backends_satisfy_the_protocol(backend: SecretsBackend) -> None:
    assert isinstance(backend, SecretsBackend)
    assert backend.get_connection("absent") is None
    assert backend.get_variable("absent") is None
