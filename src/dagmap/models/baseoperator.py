"""``airflow.models.baseoperator``: BaseOperator and the dependency helpers Airflow 2 kept here."""

from dagmap.sdk.baseoperator import BaseOperator
from dagmap.sdk.dependencies import chain, chain_linear, cross_downstream

__all__ = ["BaseOperator", "chain", "chain_linear", "cross_downstream"]
