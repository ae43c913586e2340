"""The default template macros (``{{ macros.ds_add(ds, 1) }}``) and filters (``{{ logical_date | ds }}``)."""

from __future__ import annotations

import datetime as _datetime
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


def ds_add(ds: str, days: int) -> str:
    """``ds`` (YYYY-MM-DD) plus ``days`` days: ``ds_add("2015-01-01", 5)`` -> ``"2015-01-06"``."""
    if not days:
        return str(ds)
    return (_datetime.datetime.strptime(str(ds), "%Y-%m-%d") + _datetime.timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Reformat a date string: ``ds_format("2015-01-01", "%Y-%m-%d", "%m-%d-%y")`` -> ``"01-01-15"``."""
    return _datetime.datetime.strptime(str(ds), input_format).strftime(output_format)


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
    """``macros``: ds_add, ds_format, datetime, timedelta, dateutil, time, uuid, random, json."""
    return types.SimpleNamespace(
        ds_add=ds_add,
        ds_format=ds_format,
        datetime=_datetime.datetime,
        timedelta=_datetime.timedelta,
        dateutil=dateutil,
        time=time,
        uuid=uuid,
        random=random.random,
        json=json,
    )
