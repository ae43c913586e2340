"""Snowflake hooks."""
