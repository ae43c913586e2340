"""Snowflake operators."""
