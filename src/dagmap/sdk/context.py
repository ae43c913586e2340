"""The task context seen by user code: known keys, ``get_current_context`` and keyword injection.

The runner sets the context with :func:`set_current_context` around render + execute; tasks read it back.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from dagmap.errors import DagmapError

Context = dict[str, Any]
"""The type of a task's context (``from airflow.sdk import Context`` users import it from ``dagmap``)."""

KNOWN_CONTEXT_KEYS: frozenset[str] = frozenset(
    {
        "conf",
        "conn",
        "dag",
        "dag_run",
        "data_interval_end",
        "data_interval_start",
        "ds",
        "ds_nodash",
        "execution_date",
        "expanded_ti_count",
        "inlets",
        "inlet_events",
        "logical_date",
        "macros",
        "map_index_template",
        "next_ds",
        "next_ds_nodash",
        "next_execution_date",
        "outlets",
        "outlet_events",
        "params",
        "prev_data_interval_start_success",
        "prev_data_interval_end_success",
        "prev_ds",
        "prev_ds_nodash",
        "prev_execution_date",
        "prev_execution_date_success",
        "prev_start_date_success",
        "prev_end_date_success",
        "run_id",
        "task",
        "task_instance",
        "task_instance_key_str",
        "templates_dict",
        "test_mode",
        "ti",
        "tomorrow_ds",
        "tomorrow_ds_nodash",
        "triggering_asset_events",
        "triggering_dataset_events",
        "ts",
        "ts_nodash",
        "ts_nodash_with_tz",
        "var",
        "yesterday_ds",
        "yesterday_ds_nodash",
    }
)
"""Names the runner may put in the context; a TaskFlow argument with such a name receives it."""

_current: ContextVar[dict[str, Any] | None] = ContextVar("dagmap_task_context", default=None)


def get_current_context() -> dict[str, Any]:
    """The context of the task instance running now (the same dict the task's templates were rendered with)."""
    context = _current.get()
    if context is None:
        raise DagmapError("get_current_context() was called outside a running task")
    return context


@contextmanager
def set_current_context(context: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Make ``context`` the current one for the duration of the block (the runner wraps render + execute)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@functools.lru_cache(maxsize=4096)
def _signature_facts(function: Callable[..., Any]) -> tuple[tuple[str | None, ...], bool]:
    """(named parameters in order, None for positional-only ones; whether it takes ``**kwargs``)."""
    parameters = inspect.signature(function).parameters.values()
    names = tuple(
        None if p.kind is p.POSITIONAL_ONLY else p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)
    )
    return names, any(p.kind is p.VAR_KEYWORD for p in parameters)


def inject_context_kwargs(
    python_callable: Callable[..., Any],
    context: Mapping[str, Any],
    op_args: Sequence[Any] = (),
    op_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The keyword arguments to call ``python_callable`` with: ``op_kwargs`` plus the context keys it asks for.

    A function with ``**kwargs`` receives the whole context; otherwise only parameters named like a context
    key (or an ``op_kwargs`` key). Parameters already filled by ``op_args`` are left alone.
    """
    merged = {**context, **(op_kwargs or {})}
    try:
        names, var_keyword = _signature_facts(python_callable)
    except (TypeError, ValueError):  # builtins without a signature: pass only op_kwargs
        return dict(op_kwargs or {})
    if var_keyword:
        return merged
    wanted = names[len(op_args) :]
    return {name: merged[name] for name in wanted if name is not None and name in merged}
