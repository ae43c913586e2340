"""``airflow.hooks.base``: BaseHook (``BaseHook.get_connection(conn_id)`` in custom operators)."""

from dagmap.providers.base import BaseHook

__all__ = ["BaseHook"]
