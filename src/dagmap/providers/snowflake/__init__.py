"""Snowflake through snowflake-connector-python's DB-API (the ``snowflake`` extra). The connector is imported
only when a hook connects, so DAG files using these classes parse without it."""

from dagmap.providers.snowflake.hooks.snowflake import SnowflakeHook, connection_parameters
from dagmap.providers.snowflake.operators.snowflake import SnowflakeOperator
from dagmap.providers.snowflake.transfers.s3_to_snowflake import S3ToSnowflakeOperator, copy_into_sql

__all__ = [
    "S3ToSnowflakeOperator",
    "SnowflakeHook",
    "SnowflakeOperator",
    "connection_parameters",
    "copy_into_sql",
]
