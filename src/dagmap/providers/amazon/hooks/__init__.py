"""Hooks for AWS services."""
