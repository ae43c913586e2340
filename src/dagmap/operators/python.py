"""PythonOperator and its branching (BranchPythonOperator) and short-circuit (ShortCircuitOperator) kin.

The virtualenv / external-Python operators (``dagmap.operators.python_virtualenv``) are re-exported here, as
Airflow's ``airflow.operators.python`` has them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.sdk.baseoperator import BaseOperator
from dagmap.sdk.context import get_current_context, inject_context_kwargs
from dagmap.sdk.skipping import SkipDecision, branch_decision, short_circuit_decision

__all__ = [
    "BranchExternalPythonOperator",
    "BranchPythonOperator",
    "BranchPythonVirtualenvOperator",
    "ExternalPythonOperator",
    "PythonOperator",
    "PythonVirtualenvOperator",
    "ShortCircuitOperator",
    "get_current_context",
    "is_venv_installed",
]

log = logging.getLogger("dagmap.task")


class PythonOperator(BaseOperator):
    """Calls ``python_callable(*op_args, **op_kwargs)``; parameters named like context keys receive them."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Iterable[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Iterable[str] | None = None,
        show_return_value_in_logs: bool = True,
        **kwargs: Any,
    ) -> None:
        if not callable(python_callable):
            raise DagDefinitionError(
                f"python_callable must be callable, not {python_callable!r}", task_id=kwargs.get("task_id"),
                argument="python_callable",
            )  # fmt: skip
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args: list[Any] = list(op_args or ())
        self.op_kwargs: dict[str, Any] = dict(op_kwargs or {})
        self.templates_dict = templates_dict
        self.show_return_value_in_logs = show_return_value_in_logs
        if templates_exts:
            self.template_ext = tuple(templates_exts)

    def execute(self, context: dict[str, Any]) -> Any:
        context.update(self.op_kwargs)  # as Airflow: op_kwargs become visible to map_index_template
        context["templates_dict"] = self.templates_dict
        kwargs = inject_context_kwargs(self.python_callable, context, self.op_args, self.op_kwargs)
        result = self.execute_callable(kwargs)
        if self.show_return_value_in_logs:
            log.info("Done. Returned value was: %.1000r", result)
        else:
            log.info("Done. Returned value not shown")
        return result

    def execute_callable(self, kwargs: dict[str, Any]) -> Any:
        return self.python_callable(*self.op_args, **kwargs)


class BranchPythonOperator(PythonOperator):
    """``python_callable`` returns the task id(s) to follow; the other direct downstream tasks are skipped."""

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        return branch_decision(self, result)


class ShortCircuitOperator(PythonOperator):
    """A falsy return value skips downstream tasks: all of them, or only direct ones when
    ``ignore_downstream_trigger_rules=False`` (the others then follow their trigger rules)."""

    ui_color = "#e7f5ff"

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def skip_after_execute(self, result: Any) -> SkipDecision | None:
        return short_circuit_decision(
            self, result, ignore_downstream_trigger_rules=self.ignore_downstream_trigger_rules
        )


# The operators that run the callable in another interpreter (they build on PythonOperator, defined above).
from dagmap.operators.python_virtualenv import (  # noqa: E402
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
    is_venv_installed,
)
