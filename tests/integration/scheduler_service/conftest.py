"""Fixtures of the scheduler service tests (databases, processes): see service_harness.py."""

from __future__ import annotations

import pytest
from service_harness import postgres_url, services, sqlite_url

__all__ = ["postgres_url", "services", "sqlite_url"]


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    """The test's own migrated database: once SQLite, once PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))
