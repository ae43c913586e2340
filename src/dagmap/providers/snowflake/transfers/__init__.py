"""Transfers into Snowflake."""
