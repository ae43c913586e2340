"""``BaseSensorOperator`` (``airflow.sensors.base``): an operator that pokes until a condition holds.

Always in poke mode: ``mode="reschedule"`` and ``deferrable=True`` run so, with a warning in the try's log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar, TypeVar

from dagmap.errors import DagDefinitionError
from dagmap.sdk.baseoperator import BaseOperator
from dagmap.sensors.poking import PokeReturnValue, PokeSettings, poke_until_done

__all__ = ["BaseSensorOperator", "PokeReturnValue", "poke_mode_only"]

log = logging.getLogger("dagmap.task")

DEFAULT_TIMEOUT = 60 * 60 * 24 * 7
"""Airflow's ``[sensors] default_timeout``: seven days."""

VALID_MODES = ("poke", "reschedule")

clock: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep
"""The poke loop's clock and sleep (module attributes so that tests can replace them)."""


def _seconds(value: Any, name: str, task_id: str | None) -> float:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise DagDefinitionError(
            f"{name} must be a non-negative number of seconds or a timedelta, not {value!r}",
            task_id=task_id, argument=name,
        )  # fmt: skip
    return float(value)


class BaseSensorOperator(BaseOperator):
    """Pokes every ``poke_interval`` seconds until ``poke`` returns true (or a true ``PokeReturnValue``).

    ``timeout`` seconds after the first poke of the try the sensor fails without retry (``SensorTimeout``),
    or is skipped with ``soft_fail``. ``exponential_backoff`` doubles the interval after each poke, capped
    by ``max_wait``. ``execution_timeout`` applies as for any operator.
    """

    ui_color: ClassVar[str] = "#e6f1f2"
    valid_modes: ClassVar[tuple[str, ...]] = VALID_MODES

    def __init__(
        self,
        *,
        poke_interval: timedelta | float = 60,
        timeout: timedelta | float = DEFAULT_TIMEOUT,
        soft_fail: bool = False,
        mode: str = "poke",
        exponential_backoff: bool = False,
        max_wait: timedelta | float | None = None,
        silent_fail: bool = False,
        never_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        task = self.task_id
        self.poke_interval = _seconds(poke_interval, "poke_interval", task)
        self.timeout = _seconds(timeout, "timeout", task)
        self.max_wait = None if max_wait is None else timedelta(seconds=_seconds(max_wait, "max_wait", task))
        if mode not in self.valid_modes:
            raise DagDefinitionError(
                f"mode must be one of {', '.join(self.valid_modes)}, not {mode!r}", task_id=task, argument="mode"
            )
        if soft_fail and never_fail:
            raise DagDefinitionError("soft_fail and never_fail cannot both be set", task_id=task, argument="never_fail")
        self.soft_fail = soft_fail
        self.mode = mode
        self.exponential_backoff = exponential_backoff
        self.silent_fail = silent_fail
        self.never_fail = never_fail

    @property
    def reschedule(self) -> bool:
        return self.mode == "reschedule"

    def poke(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        """Whether the condition holds now; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement poke()")

    def poke_settings(self) -> PokeSettings:
        return PokeSettings(
            poke_interval=self.poke_interval,
            timeout=self.timeout,
            exponential_backoff=self.exponential_backoff,
            max_wait=None if self.max_wait is None else self.max_wait.total_seconds(),
            soft_fail=self.soft_fail,
            silent_fail=self.silent_fail,
            never_fail=self.never_fail,
        )

    def execute(self, context: dict[str, Any]) -> Any:
        if self.reschedule:
            log.warning(
                "mode='reschedule' is not supported by dagmap: the sensor pokes in poke mode, holding its worker "
                "slot while it waits"
            )
        if getattr(self, "deferrable", False):
            log.warning("deferrable=True is not supported by dagmap: the sensor pokes in poke mode")
        return poke_until_done(lambda: self.poke(context), self.poke_settings(), clock=clock, sleep=sleep)


_Sensor = TypeVar("_Sensor", bound=type[BaseSensorOperator])


def poke_mode_only(cls: _Sensor) -> _Sensor:
    """Class decorator: the sensor accepts only ``mode="poke"``."""
    cls.valid_modes = ("poke",)
    return cls
