"""``airflow.utils.trigger_rule``: the TriggerRule names."""

from dagmap.trigger_rule import TriggerRule

__all__ = ["TriggerRule"]
