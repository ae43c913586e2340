"""Hooks and operators for external systems: amazon (S3 through boto3) and sql (SQLAlchemy engines)."""
