"""Secrets must not leak through logging or redact(), however they are formatted."""

from __future__ import annotations

import io
import logging
from collections import namedtuple
from collections.abc import Iterator

import pytest

from dagmap.connections import (
    Connection,
    InMemorySecretsBackend,
    SecretsMaskingFilter,
    mask_secret,
    redact,
    set_secrets_backends,
)
from dagmap.connections.masking import MIN_SECRET_LENGTH, SecretsMasker, get_masker

PASSWORD = "s3cr3t/p@ss:w0rd"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose handler carries the masking filter, and what that handler wrote."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretsMaskingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("dagmap.tests.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


@pytest.fixture
def fetched_connection() -> Connection:
    store = InMemorySecretsBackend()
    store.set_connection(Connection("db", "postgres", "db.internal", "app", "admin", PASSWORD, 5432))
    set_secrets_backends([store])
    return Connection.get("db")  # the fetch registers the password


def test_password_leaks_through_no_log_call(
    captured: tuple[logging.Logger, io.StringIO], fetched_connection: Connection
) -> None:
    logger, stream = captured
    conn = fetched_connection
    logger.info(f"connecting with {conn.password}")
    logger.info("connecting with %s", conn.password)
    logger.info("settings %s", {"host": conn.host, "pw": conn.password})
    logger.info("as dict %r", conn.to_dict())
    logger.info("uri %s", conn.get_uri())
    logger.info({"message": conn.password})
    logger.info("named %(pw)s", {"pw": conn.password})
    try:
        raise RuntimeError(f"login failed for {conn.password}")
    except RuntimeError:
        logger.exception("boom")
    output = stream.getvalue()
    assert PASSWORD not in output
    assert "s3cr3t%2Fp%40ss%3Aw0rd" not in output  # the URL-encoded form inside the URI
    assert output.count("***") == 8  # one per attempt: 7 messages and the exception line
    assert "db.internal" in output  # the rest of the message survives


def test_values_under_sensitive_keys_are_hidden_even_if_never_registered(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("payload %s", {"user": "bob", "api_key": "abcd-unregistered", "nested": {"Password": 12345}})
    output = stream.getvalue()
    assert "abcd-unregistered" not in output and "12345" not in output
    assert "bob" in output


def test_redact_walks_containers_and_keeps_their_types() -> None:
    mask_secret("hunter2-secret")
    Point = namedtuple("Point", "x y")
    value = {
        "list": ["a hunter2-secret b", 1],
        "tuple": ("hunter2-secret",),
        "named": Point("hunter2-secret", 2),
        "set": {"hunter2-secret"},
        "token": {"deep": ["x", "y"], "n": None},
        "other": object,
    }
    result = redact(value)
    assert result["list"] == ["a *** b", 1]
    assert result["tuple"] == ("***",)
    assert result["named"] == Point("***", 2)
    assert result["set"] == {"***"}
    assert result["token"] == {"deep": ["***", "***"], "n": None}
    assert result["other"] is object
    assert value["list"] == ["a hunter2-secret b", 1]  # the original is untouched


def test_longer_secret_is_hidden_whole_when_one_contains_another() -> None:
    mask_secret("abcd")
    mask_secret("abcdefgh")
    assert redact("x abcdefgh y abcd") == "x *** y ***"


def test_escaped_forms_are_hidden() -> None:
    secret = 'quote"and\\slash'
    mask_secret(secret)
    assert redact(repr(secret)) == "'***'"
    assert "slash" not in redact(f"{[secret]}")


def test_mask_secret_of_a_mapping_registers_only_sensitive_names() -> None:
    mask_secret({"password": "pw-value-1", "host": "visible-host"})
    mask_secret(["list-item-1"])
    assert redact("pw-value-1 visible-host list-item-1") == "*** visible-host ***"


def test_very_short_secrets_are_not_searched_for() -> None:
    mask_secret("a" * (MIN_SECRET_LENGTH - 1))
    assert redact("banana") == "banana"
    assert redact({"password": "ab"}) == {"password": "***"}


def test_masker_instances_are_independent_and_clearable() -> None:
    masker = SecretsMasker(sensitive_names={"pin"})
    masker.add("private-thing")
    assert masker.redact({"PIN": "1", "password": "2"}) == {"PIN": "***", "password": "2"}
    assert redact("private-thing") == "private-thing"
    masker.clear()
    assert masker.redact_text("private-thing") == "private-thing"
    assert get_masker() is not masker


def test_numbers_are_registered_as_their_text() -> None:
    mask_secret(987654)
    mask_secret({"pin_code": 1111, "api_key": 24680})
    assert redact("987654 1111 24680") == "*** 1111 ***"
