"""The default template macros (``{{ macros.ds_add(ds, 1) }}``) and filters (``{{ logical_date | ds }}``)."""

from __future__ import annotations

import datetime as _datetime
import importlib
import json
import random
import time
import types
import uuid
from collections.abc import Callable
from typing import Any

import dateutil
import dateutil.parser
import dateutil.relativedelta

from dagmap.errors import TemplateError


def _optional(module: str, macro: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TemplateError(f"macros.{macro} needs the {module} package; install it") from None


def ds_add(ds: str, days: int) -> str:
    """``ds`` (YYYY-MM-DD) plus ``days`` days: ``ds_add("2015-01-01", 5)`` -> ``"2015-01-06"``."""
    if not days:
        return str(ds)
    return (_datetime.datetime.strptime(str(ds), "%Y-%m-%d") + _datetime.timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Reformat a date string: ``ds_format("2015-01-01", "%Y-%m-%d", "%m-%d-%y")`` -> ``"01-01-15"``."""
    return _datetime.datetime.strptime(str(ds), input_format).strftime(output_format)


def ds_format_locale(ds: str, input_format: str, output_format: str, locale: Any = None) -> str:
    """Reformat a date string with a Babel pattern in ``locale`` (default: LC_TIME, else ``en_US``):
    ``ds_format_locale("12/07/2024", "%d/%m/%Y", "EEEE dd MMMM yyyy", "en_US")`` -> ``"Friday 12 July 2024"``.
    Needs the ``babel`` package."""
    babel = _optional("babel", "ds_format_locale")
    dates = importlib.import_module("babel.dates")
    value = _datetime.datetime.strptime(str(ds), input_format)
    return str(
        dates.format_datetime(value, format=output_format, locale=locale or dates.LC_TIME or babel.Locale("en_US"))
    )


def datetime_diff_for_humans(dt: _datetime.datetime, since: _datetime.datetime | None = None) -> str:
    """How far ``dt`` is from ``since`` (default: now) in words, e.g. ``"2 days ago"``. Needs ``pendulum``."""
    pendulum = _optional("pendulum", "datetime_diff_for_humans")
    other = pendulum.instance(since) if since is not None else None
    return str(pendulum.instance(dt).diff_for_humans(other))


def _ds(value: _datetime.datetime) -> str:
    return value.strftime("%Y-%m-%d")


def _ds_nodash(value: _datetime.datetime) -> str:
    return value.strftime("%Y%m%d")


def _ts(value: _datetime.datetime) -> str:
    return value.isoformat()


def _ts_nodash(value: _datetime.datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def _ts_nodash_with_tz(value: _datetime.datetime) -> str:
    return value.isoformat().replace("-", "").replace(":", "")


DEFAULT_FILTERS: dict[str, Callable[[Any], str]] = {
    "ds": _ds,
    "ds_nodash": _ds_nodash,
    "ts": _ts,
    "ts_nodash": _ts_nodash,
    "ts_nodash_with_tz": _ts_nodash_with_tz,
}


def macros_namespace() -> types.SimpleNamespace:
    """``macros``: Airflow's set — ds_add, ds_format, ds_format_locale, datetime_diff_for_humans, datetime,
    timedelta, dateutil, time, uuid, random, json, and yaml when PyYAML is installed."""
    namespace = types.SimpleNamespace(
        ds_add=ds_add,
        ds_format=ds_format,
        ds_format_locale=ds_format_locale,
        datetime_diff_for_humans=datetime_diff_for_humans,
        datetime=_datetime.datetime,
        timedelta=_datetime.timedelta,
        dateutil=dateutil,
        time=time,
        uuid=uuid,
        random=random.random,
        json=json,
    )
    try:
        namespace.yaml = importlib.import_module("yaml")
    except ImportError:
        pass
    return namespace
