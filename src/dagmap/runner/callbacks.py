"""Task callbacks (``on_execute_callback`` ... ``on_skipped_callback``), called in the worker with the context.

A callback's exception is logged into the try's log and never changes the try's outcome.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from typing import Any

from dagmap.runner.logs import task_logger
from dagmap.states import TaskInstanceState

ON_EXECUTE = "on_execute_callback"

STATE_CALLBACKS: Mapping[TaskInstanceState, str] = {
    TaskInstanceState.SUCCESS: "on_success_callback",
    TaskInstanceState.FAILED: "on_failure_callback",
    TaskInstanceState.UP_FOR_RETRY: "on_retry_callback",
    TaskInstanceState.SKIPPED: "on_skipped_callback",
}
"""The callback a try's final state calls."""


def callbacks_of(operator: Any, name: str) -> list[Callable[..., Any]]:
    """The callables set for ``name`` on ``operator``: none, one, or a list (also on a MappedOperator, whose
    settings live in ``partial_kwargs`` and ``default_args``)."""
    value = getattr(operator, name, None)
    if value is None:
        partial = getattr(operator, "partial_kwargs", None)
        if partial is None:
            return []
        value = partial.get(name) or operator.default_args.get(name)
        if value is None:
            return []
    if callable(value):
        return [value]
    return list(value)


def run_callbacks(callbacks: list[Callable[..., Any]], name: str, context: dict[str, Any]) -> None:
    """Call each callback with ``context``; an error is logged and the next one still runs."""
    for callback in callbacks:
        label = getattr(callback, "__qualname__", None) or repr(callback)
        task_logger.info("Calling %s %s", name, label)
        try:
            callback(context)
        except (Exception, SystemExit) as error:  # user code: logged, never the try's outcome
            task_logger.error(
                "%s %s failed (the task's state is unchanged):\n%s",
                name,
                label,
                "".join(traceback.format_exception(error)),
            )
