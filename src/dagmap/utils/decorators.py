"""``airflow.utils.decorators.apply_defaults``: a no-op since Airflow 2.0 (operators apply defaults
themselves, in dagmap too), kept so that older custom operators still import."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def apply_defaults(function: T) -> T:
    """Return ``function`` unchanged."""
    return function
