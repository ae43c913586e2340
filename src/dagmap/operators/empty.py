"""EmptyOperator: does nothing; useful to join or fan out dependencies."""

from __future__ import annotations

from typing import Any

from dagmap.sdk.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    """A task that succeeds without doing anything."""

    ui_color = "#e8f7e4"

    def execute(self, context: dict[str, Any]) -> None:
        return None


DummyOperator = EmptyOperator
