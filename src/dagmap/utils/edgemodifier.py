"""``airflow.utils.edgemodifier``: labels on edges (``a >> Label("why") >> b``)."""

from dagmap.sdk.dependencies import EdgeModifier, Label

__all__ = ["EdgeModifier", "Label"]
