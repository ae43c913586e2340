"""Tagged encodings of standard-library types: dates and times, Decimal, bytes, UUID, paths, containers.

Encoders take ``(value, child)`` and return the tagged object; decoders get it with children decoded.
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagmap.xcom._common import TAG, ChildEncoder, DecodeError, UnsupportedValue, require

Encoder = Callable[[Any, ChildEncoder], dict[str, Any]]
Decoder = Callable[[dict[str, Any]], Any]


def encode_float(value: float) -> Any:
    """Finite floats stay plain; NaN and infinities are tagged so that the document stays strict JSON."""
    if math.isfinite(value):
        return value
    return {TAG: "float", "value": repr(value)}  # 'nan', 'inf' or '-inf'


def _decode_float(document: dict[str, Any]) -> float:
    text = require(document, "value")
    if text not in ("nan", "inf", "-inf"):
        raise DecodeError(f"invalid non-finite float {text!r}")
    return float(text)


# --- dates and times ------------------------------------------------------------------------------------


_MICROSECOND = timedelta(microseconds=1)


def _zone_key(value: datetime | time) -> str | None:
    tz = value.tzinfo
    return tz.key if isinstance(tz, ZoneInfo) and tz.key else None


def _encode_wall_clock(tag: str, value: datetime | time) -> dict[str, Any]:
    # A named zone is kept by name (wall time + zone + fold); any other tzinfo by its UTC offset.
    zone = _zone_key(value)
    if zone is not None:
        document: dict[str, Any] = {TAG: tag, "value": value.replace(tzinfo=None).isoformat(), "zone": zone}
    else:
        offset = value.utcoffset() if value.tzinfo is not None else None
        if value.tzinfo is not None and offset is None:
            raise UnsupportedValue(value, f"its tzinfo {value.tzinfo!r} has no fixed UTC offset")
        if offset is not None and offset.microseconds:
            # ISO text cannot carry every sub-second offset back (Python 3.11 drops "+00:00:00.000001"):
            # such an offset travels as a number of microseconds.
            document = {TAG: tag, "value": value.replace(tzinfo=None).isoformat(), "offset_us": offset // _MICROSECOND}
        else:
            document = {TAG: tag, "value": value.isoformat()}
    if value.fold:
        document["fold"] = 1
    return document


def _decode_wall_clock(document: dict[str, Any], parse: Callable[[str], Any]) -> Any:
    try:
        result = parse(require(document, "value"))
        zone = document.get("zone")
        if zone is not None:
            result = result.replace(tzinfo=ZoneInfo(zone))
        offset = document.get("offset_us")
        if offset is not None:
            result = result.replace(tzinfo=timezone(int(offset) * _MICROSECOND))
    except (ValueError, TypeError, ZoneInfoNotFoundError) as error:
        raise DecodeError(f"invalid {document[TAG]}: {error}") from error
    return result.replace(fold=1) if document.get("fold") else result


def _encode_datetime(value: datetime, child: ChildEncoder) -> dict[str, Any]:
    return _encode_wall_clock("datetime", value)


def _encode_time(value: time, child: ChildEncoder) -> dict[str, Any]:
    return _encode_wall_clock("time", value)


def _encode_date(value: date, child: ChildEncoder) -> dict[str, Any]:
    return {TAG: "date", "value": value.isoformat()}


def _decode_date(document: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(require(document, "value"))
    except (ValueError, TypeError) as error:
        raise DecodeError(f"invalid date: {error}") from error


def _encode_timedelta(value: timedelta, child: ChildEncoder) -> dict[str, Any]:
    return {TAG: "timedelta", "days": value.days, "seconds": value.seconds, "microseconds": value.microseconds}


def _decode_timedelta(document: dict[str, Any]) -> timedelta:
    fields = (require(document, "days"), require(document, "seconds"), require(document, "microseconds"))
    if not all(type(field) is int for field in fields):
        raise DecodeError("invalid timedelta")
    return timedelta(days=fields[0], seconds=fields[1], microseconds=fields[2])


# --- scalars with a text or binary form -----------------------------------------------------------------


def _encode_decimal(value: Decimal, child: ChildEncoder) -> dict[str, Any]:
    return {TAG: "decimal", "value": str(value)}


def _decode_decimal(document: dict[str, Any]) -> Decimal:
    try:
        return Decimal(require(document, "value"))
    except (InvalidOperation, TypeError) as error:
        raise DecodeError(f"invalid decimal: {error}") from error


def _encode_bytes(value: bytes | bytearray, child: ChildEncoder) -> dict[str, Any]:
    return {TAG: type(value).__name__, "base64": base64.b64encode(value).decode("ascii")}


def decode_base64(document: dict[str, Any], key: str = "base64") -> bytes:
    try:
        return base64.b64decode(require(document, key), validate=True)
    except (binascii.Error, TypeError, ValueError) as error:
        raise DecodeError(f"invalid base64 in {document[TAG]}: {error}") from error


def _encode_uuid(value: uuid.UUID, child: ChildEncoder) -> dict[str, Any]:
    return {TAG: "uuid", "value": str(value)}


def _decode_uuid(document: dict[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(require(document, "value"))
    except (ValueError, TypeError, AttributeError) as error:
        raise DecodeError(f"invalid uuid: {error}") from error


_PATH_KINDS: dict[str, type[PurePath]] = {
    "Path": Path,
    "PurePosixPath": PurePosixPath,
    "PureWindowsPath": PureWindowsPath,
}


def encode_path(value: PurePath, child: ChildEncoder) -> dict[str, Any]:
    kind = "Path" if isinstance(value, Path) else type(value).__name__
    if kind not in _PATH_KINDS:
        kind = "PureWindowsPath" if isinstance(value, PureWindowsPath) else "PurePosixPath"
    return {TAG: "path", "kind": kind, "value": str(value)}


def _decode_path(document: dict[str, Any]) -> PurePath:
    kind = _PATH_KINDS.get(require(document, "kind"))
    if kind is None:
        raise DecodeError(f"unknown path kind {document['kind']!r}")
    return kind(require(document, "value"))


# --- containers -----------------------------------------------------------------------------------------


def _encode_tuple(value: tuple[Any, ...], child: ChildEncoder) -> dict[str, Any]:
    return {TAG: "tuple", "items": [child(item, f"[{index}]") for index, item in enumerate(value)]}


def _encode_set(value: set[Any] | frozenset[Any], child: ChildEncoder) -> dict[str, Any]:
    try:
        ordered = sorted(value)  # a stable document for equal sets, when the items are orderable
    except TypeError:
        ordered = list(value)
    return {TAG: type(value).__name__, "items": [child(item, " (an item of the set)") for item in ordered]}


def _items(document: dict[str, Any]) -> list[Any]:
    items = require(document, "items")
    if type(items) is not list:
        raise DecodeError(f"invalid {document[TAG]}: items is not a list")
    return items


def _decode_collection(document: dict[str, Any], kind: Callable[[list[Any]], Any]) -> Any:
    try:
        return kind(_items(document))
    except TypeError as error:  # an unhashable item in a set
        raise DecodeError(f"invalid {document[TAG]}: {error}") from error


def decode_dict_items(document: dict[str, Any]) -> dict[Any, Any]:
    try:
        return dict(_items(document))
    except (TypeError, ValueError) as error:
        raise DecodeError(f"invalid dict: {error}") from error


ENCODERS: dict[type, Encoder] = {
    datetime: _encode_datetime,
    date: _encode_date,
    time: _encode_time,
    timedelta: _encode_timedelta,
    Decimal: _encode_decimal,
    bytes: _encode_bytes,
    bytearray: _encode_bytes,
    uuid.UUID: _encode_uuid,
    tuple: _encode_tuple,
    set: _encode_set,
    frozenset: _encode_set,
}
"""Encoders by exact type (subclasses are not these types: they go through the slower checks)."""

DECODERS: dict[str, Decoder] = {
    "float": _decode_float,
    "datetime": lambda document: _decode_wall_clock(document, datetime.fromisoformat),
    "time": lambda document: _decode_wall_clock(document, time.fromisoformat),
    "date": _decode_date,
    "timedelta": _decode_timedelta,
    "decimal": _decode_decimal,
    "bytes": decode_base64,
    "bytearray": lambda document: bytearray(decode_base64(document)),
    "uuid": _decode_uuid,
    "path": _decode_path,
    "tuple": lambda document: tuple(_items(document)),
    "set": lambda document: _decode_collection(document, set),
    "frozenset": lambda document: _decode_collection(document, frozenset),
    "dict": decode_dict_items,
}
