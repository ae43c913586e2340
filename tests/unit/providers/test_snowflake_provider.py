"""Snowflake connection parameters and the COPY INTO statement, without a server."""

from __future__ import annotations

import pytest

from dagmap.connections import Connection
from dagmap.errors import ConfigurationError, DagmapError
from dagmap.providers.snowflake import SnowflakeHook, connection_parameters, copy_into_sql


def test_connection_fields_and_extras_become_connect_arguments() -> None:
    connection = Connection(
        "sf",
        "snowflake",
        schema="RAW",
        login="loader",
        password="p@ss",
        extra={
            "account": "xy12345",
            "warehouse": "WH",
            "database": "DB",
            "role": "R",
            "insecure_mode": "true",
            "network_timeout": "5",
            "session_parameters": {"QUERY_TAG": "dagmap"},
            "unknown": "ignored",
        },
    )
    assert connection_parameters(connection) == {
        "user": "loader",
        "password": "p@ss",
        "schema": "RAW",
        "account": "xy12345",
        "warehouse": "WH",
        "database": "DB",
        "role": "R",
        "insecure_mode": True,
        "network_timeout": 5,
        "session_parameters": {"QUERY_TAG": "dagmap"},
    }


def test_hook_arguments_override_and_airflow_prefixed_extras_are_read() -> None:
    connection = Connection(
        "sf", "snowflake", schema="RAW", extra={"extra__snowflake__account": "old", "extra__snowflake__role": "R"}
    )
    parameters = connection_parameters(connection, {"schema": "ANALYTICS", "role": None, "warehouse": ""})
    assert parameters == {"schema": "ANALYTICS", "account": "old", "role": "R"}


def test_account_is_required_and_flags_must_be_booleans() -> None:
    with pytest.raises(ConfigurationError, match="has no account"):
        connection_parameters(Connection("sf", "snowflake", login="u"))
    with pytest.raises(ConfigurationError, match="insecure_mode"):
        connection_parameters(Connection("sf", "snowflake", extra={"account": "a", "insecure_mode": "maybe"}))


def test_hook_has_no_sqlalchemy_engine() -> None:
    hook = SnowflakeHook("sf")
    assert hook.dialect_name == "snowflake"
    with pytest.raises(DagmapError, match="no SQLAlchemy engine"):
        hook.get_sqlalchemy_engine()
    with pytest.raises(DagmapError, match="no SQLAlchemy engine"):
        hook.get_uri()


def test_copy_into_statement_is_airflows() -> None:
    statement = copy_into_sql(
        table="sales",
        stage="landing",
        file_format="(type = 'CSV',field_delimiter = ',', skip_header=1)",
        s3_keys=["20220412/a.csv", "it's.csv"],
        schema="raw",
    )
    assert statement == (
        "COPY INTO raw.sales\nFROM @landing/\nfiles=('20220412/a.csv', 'it''s.csv')\n"
        "file_format=(type = 'CSV',field_delimiter = ',', skip_header=1)"
    )


def test_copy_into_optional_parts_in_order() -> None:
    statement = copy_into_sql(
        table="t",
        stage="db.s.st",
        file_format="(format_name = my_csv)",
        columns_array=["a", "b"],
        prefix="2022/",
        pattern=".*[.]csv",
        copy_options="ON_ERROR = CONTINUE",
        validation_mode="RETURN_ERRORS",
    )
    assert statement.splitlines() == [
        "COPY INTO t(a, b)",
        "FROM @db.s.st/2022/",
        "file_format=(format_name = my_csv)",
        "pattern='.*[.]csv'",
        "ON_ERROR = CONTINUE",
        "validation_mode=RETURN_ERRORS",
    ]
