"""``airflow.utils.helpers``: the old home of ``chain`` and ``cross_downstream``."""

from dagmap.sdk.dependencies import chain, cross_downstream

__all__ = ["chain", "cross_downstream"]
