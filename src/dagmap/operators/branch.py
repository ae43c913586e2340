"""BaseBranchOperator (``airflow.operators.branch``): subclasses choose the downstream tasks to follow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dagmap.sdk.baseoperator import BaseOperator
from dagmap.sdk.skipping import SkipDecision, branch_decision


class BaseBranchOperator(BaseOperator):
    """``choose_branch(context)`` returns the task id(s) (or task group ids) to follow, or None; the other
    direct downstream tasks are skipped. The choice is also the task's return value."""

    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str] | None:
        raise NotImplementedError(f"{type(self).__name__} must implement choose_branch()")

    def execute(self, context: dict[str, Any]) -> Any:
        return self.choose_branch(context)

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        return branch_decision(self, result)
