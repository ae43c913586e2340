"""``airflow.models.mappedoperator``: what ``Operator.partial(...).expand(...)`` builds."""

from dagmap.sdk.mapped_operator import MappedOperator

__all__ = ["MappedOperator"]
