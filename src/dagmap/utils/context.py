"""``airflow.utils.context``: the Context type and ``get_current_context``."""

from dagmap.sdk.context import Context, get_current_context

__all__ = ["Context", "get_current_context"]
