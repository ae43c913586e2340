"""``PythonSensor`` (``airflow.sensors.python``): poke by calling a Python function."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.sdk.context import inject_context_kwargs
from dagmap.sensors.base import BaseSensorOperator
from dagmap.sensors.poking import PokeReturnValue

log = logging.getLogger("dagmap.task")


class PythonSensor(BaseSensorOperator):
    """Done when ``python_callable(*op_args, **op_kwargs)`` returns something true, or a PokeReturnValue with
    ``is_done`` (its ``xcom_value`` is the sensor's return value). Context keys are passed as to PythonOperator."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Iterable[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
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

    def poke(self, context: dict[str, Any]) -> PokeReturnValue:
        context.update(self.op_kwargs)
        context["templates_dict"] = self.templates_dict
        kwargs = inject_context_kwargs(self.python_callable, context, self.op_args, self.op_kwargs)
        log.info("Poking callable: %s", getattr(self.python_callable, "__qualname__", self.python_callable))
        value = self.python_callable(*self.op_args, **kwargs)
        return value if isinstance(value, PokeReturnValue) else PokeReturnValue(bool(value))
