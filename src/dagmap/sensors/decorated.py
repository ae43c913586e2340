"""The operator behind ``@task.sensor``: a PythonSensor whose function is the poke."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dagmap.operators.decorated import check_binding
from dagmap.sensors.python import PythonSensor


class DecoratedSensorOperator(PythonSensor):
    """The operator of ``@task.sensor``; the function returns a bool or a ``PokeReturnValue``."""

    custom_operator_name = "@task.sensor"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Iterable[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        op_args = tuple(op_args or ())
        op_kwargs = dict(op_kwargs or {})
        check_binding(python_callable, op_args, op_kwargs, kwargs.get("task_id"))
        super().__init__(python_callable=python_callable, op_args=op_args, op_kwargs=op_kwargs, **kwargs)
