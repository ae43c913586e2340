from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dagmap.connections import Connection
from dagmap.errors import ConfigurationError


def test_parses_every_part_and_decodes_percent_escapes() -> None:
    conn = Connection.from_uri("db", "postgresql://us%40er:p%3As%2Fs%40@db.example.com:5432/my%20db?sslmode=require&x=")
    assert conn.conn_id == "db"
    assert conn.conn_type == "postgres"  # Airflow's stored name for postgresql
    assert (conn.login, conn.password) == ("us@er", "p:s/s@")
    assert (conn.host, conn.port, conn.schema) == ("db.example.com", 5432, "my db")
    assert conn.extra_dejson == {"sslmode": "require", "x": ""}


def test_host_keeps_its_case_and_hyphenated_type_becomes_underscored() -> None:
    conn = Connection.from_uri("c", "google-cloud-platform://MyHost.Example.COM")
    assert conn.conn_type == "google_cloud_platform"
    assert conn.host == "MyHost.Example.COM"
    assert conn.get_uri() == "google-cloud-platform://MyHost.Example.COM"


def test_extra_that_is_not_flat_strings_travels_as_extra_json() -> None:
    conn = Connection(conn_id="c", conn_type="aws", extra={"config_kwargs": {"retries": 3}, "region_name": "eu"})
    uri = conn.get_uri()
    assert "__extra__=" in uri
    assert Connection.from_uri("c", uri).extra_dejson == {"config_kwargs": {"retries": 3}, "region_name": "eu"}


def test_flat_string_extra_travels_as_query_parameters() -> None:
    conn = Connection(conn_id="c", conn_type="postgres", host="h", extra={"sslmode": "verify-full", "a b": "c&d"})
    assert conn.get_uri() == "postgres://h/?sslmode=verify-full&a+b=c%26d"


def test_extra_json_with_other_query_parameters_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="__extra__"):
        Connection.from_uri("c", "http://h/?__extra__=%7B%7D&x=1")


def test_protocol_inside_the_host_survives() -> None:
    conn = Connection.from_uri("api", "http://https://user:pw@api.example.com:8443/v1")
    assert conn.host == "https://api.example.com"
    assert conn.port == 8443
    assert Connection.from_uri("api", conn.get_uri()) == conn


def test_ipv6_literal_and_sqlite_path() -> None:
    assert Connection.from_uri("c", "postgres://[::1]:5433/db").host == "::1"
    assert Connection.from_uri("c", "postgres://[::1]:5433/db").port == 5433
    assert Connection.from_uri("c", "sqlite:////tmp/x.db").schema == "/tmp/x.db"


@pytest.mark.parametrize("uri", ["no-scheme", "postgres://h:port/db", "://h", "postgres://[bad"])
def test_malformed_uris_raise_configuration_errors(uri: str) -> None:
    with pytest.raises(ConfigurationError):
        Connection.from_uri("c", uri)


def test_malformed_uri_error_hides_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Connection.from_uri("c", "postgres://user:hunter22@h:notaport/db")
    assert "hunter22" not in str(caught.value)


# --- round trips -------------------------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)
_optional = st.none() | _text
_conn_type = st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z").filter(lambda value: value != "postgresql")
_flat_extra = st.dictionaries(_text, st.text(st.characters(exclude_categories=("Cs",)), max_size=20), max_size=4)
_json_extra = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@given(
    conn_type=_conn_type,
    host=_optional,
    schema=_optional,
    login=_optional,
    password=_optional,
    port=st.none() | st.integers(min_value=0, max_value=65535),
    extra=st.none() | _flat_extra.map(json.dumps) | _json_extra.map(json.dumps),
)
def test_uri_round_trip(
    conn_type: str,
    host: str | None,
    schema: str | None,
    login: str | None,
    password: str | None,
    port: int | None,
    extra: str | None,
) -> None:
    conn = Connection("c", conn_type, host, schema, login, password, port, extra)
    uri = conn.get_uri()
    assert uri.isascii()
    assert Connection.from_uri("c", uri) == conn


def test_json_form_and_its_round_trip() -> None:
    value = json.dumps(
        {"conn_type": "postgres", "host": "h", "login": "u", "password": "p", "port": "5432", "extra": {"a": 1}}
    )
    conn = Connection.from_json("c", value)
    assert conn.port == 5432
    assert conn.extra_dejson == {"a": 1}
    assert Connection.from_json("c", conn.as_json()) == conn


@pytest.mark.parametrize(
    ("value", "message"),
    [("{not json", "not valid JSON"), ("[1]", "object"), ('{"hots": "x"}', "unknown"), ('{"port": "x"}', "port")],
)
def test_bad_json_form(value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Connection.from_json("c", value)


def test_env_value_picks_the_form_by_its_first_character() -> None:
    assert Connection.from_env_value("c", ' {"conn_type": "aws"}').conn_type == "aws"
    assert Connection.from_env_value("c", "aws://").conn_type == "aws"


def test_uri_and_fields_together_are_rejected() -> None:
    with pytest.raises(ConfigurationError):
        Connection("c", conn_type="aws", uri="aws://")


def test_extra_dejson_of_invalid_json_is_empty_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert Connection("c", "http", extra="{oops").extra_dejson == {}
    assert "not valid JSON" in caplog.text


def test_repr_never_shows_the_password() -> None:
    text = repr(Connection("c", "postgres", "h", login="u", password="sekrit-value"))
    assert "sekrit-value" not in text
    assert "'***'" in text
