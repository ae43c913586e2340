"""The poke loop of every sensor, as a function over a clock and a sleep (tests pass fake ones).

Pure of the runner and the store: :class:`dagmap.sensors.base.BaseSensorOperator` calls it from ``execute``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dagmap.errors import SensorTimeout, TaskFailedNoRetry, TaskSkipped, TaskTimeoutError

log = logging.getLogger("dagmap.task")


@dataclass(frozen=True)
class PokeReturnValue:
    """What ``poke`` may return instead of a bool: ``is_done``, and the XCom the sensor returns when done."""

    is_done: bool
    xcom_value: Any = None

    def __bool__(self) -> bool:
        return bool(self.is_done)


@dataclass(frozen=True)
class PokeSettings:
    """A sensor's waiting rules, in seconds."""

    poke_interval: float
    timeout: float
    exponential_backoff: bool = False
    max_wait: float | None = None
    soft_fail: bool = False
    silent_fail: bool = False
    never_fail: bool = False


def next_poke_interval(settings: PokeSettings, poke_count: int, elapsed: float) -> float:
    """Seconds to sleep after poke number ``poke_count`` (from 1), ``elapsed`` seconds after the first poke.

    With ``exponential_backoff`` the interval doubles after each poke (no jitter); ``max_wait`` caps it, and
    it never goes past the timeout, so the last poke happens when the timeout is reached.
    """
    interval = settings.poke_interval
    if settings.exponential_backoff:
        interval = settings.poke_interval * 2.0 ** min(poke_count - 1, 64)
    if settings.max_wait is not None:
        interval = min(interval, settings.max_wait)
    return max(0.0, min(interval, settings.timeout - elapsed))


def _poke_once(poke: Callable[[], Any], settings: PokeSettings) -> Any:
    """One poke; Airflow's rules for what it raises: ``soft_fail`` / ``never_fail`` turn a timeout or a
    no-retry failure into a skip; ``silent_fail`` logs other errors and counts the poke as not done."""
    try:
        return poke()
    except TaskSkipped:
        raise
    except (SensorTimeout, TaskTimeoutError, TaskFailedNoRetry) as error:
        if settings.soft_fail:
            raise TaskSkipped("Skipping due to soft_fail is set to True.") from error
        if settings.never_fail:
            raise TaskSkipped("Skipping due to never_fail is set to True.") from error
        raise
    except Exception as error:
        if settings.silent_fail:
            log.error("Sensor poke failed:\n%s", "".join(traceback.format_exception(error)))
            return False
        if settings.never_fail:
            raise TaskSkipped("Skipping due to never_fail is set to True.") from error
        raise


def poke_until_done(
    poke: Callable[[], Any],
    settings: PokeSettings,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Any:
    """Poke until ``poke()`` returns something true; returns its ``xcom_value`` (a PokeReturnValue) or None.

    Not done ``timeout`` seconds after the first poke: :class:`SensorTimeout` (failed, no retry), or a skip
    with ``soft_fail``.
    """
    started = clock()
    poke_count = 1
    while True:
        result = _poke_once(poke, settings)
        if result:
            log.info("Success criteria met. Exiting.")
            return result.xcom_value if isinstance(result, PokeReturnValue) else None
        elapsed = clock() - started
        if elapsed >= settings.timeout:
            message = (
                f"Sensor has timed out; run duration of {elapsed:g} seconds exceeds the specified timeout of "
                f"{settings.timeout:g}."
            )
            if settings.soft_fail:
                raise TaskSkipped(message)
            raise SensorTimeout(message)
        interval = next_poke_interval(settings, poke_count, elapsed)
        if settings.exponential_backoff:
            log.info("new poke interval is %gs", interval)
        sleep(interval)
        poke_count += 1
