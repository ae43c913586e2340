"""Operators for AWS services."""
