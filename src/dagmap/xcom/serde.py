"""XCom values to and from one JSON document: plain JSON stays plain, other types become tagged objects.

Typed values look like ``{"__dagmap_type__": "datetime", "value": "..."}``; see docs/xcom.md for all of
them. Never pickle: classes are re-imported by path and rebuilt from their fields.
"""

from __future__ import annotations

import collections
import enum
import json
from pathlib import PurePath
from typing import Any

from dagmap.errors import XComSerializationError
from dagmap.xcom import _class_types, _scientific_types, _stdlib_types
from dagmap.xcom._common import TAG, DecodeError, UnsupportedValue

__all__ = ["TAG", "deserialize", "serialize", "serialize_for_task"]

_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})
_SCALARS_BUT_FLOAT = frozenset({str, int, bool, type(None)})
_DICT_SUBCLASSES = (collections.OrderedDict, collections.defaultdict, collections.Counter)
"""Stored as plain dicts (their extra behaviour is not kept): common in task code, and harmless."""

_GENERIC_ENCODERS: tuple[tuple[Any, Any], ...] = (
    (lambda value: isinstance(value, enum.Enum), _class_types.encode_enum),
    (lambda value: isinstance(value, PurePath), _stdlib_types.encode_path),
    (_class_types.is_namedtuple, _class_types.encode_namedtuple),
    (_class_types.is_dataclass_instance, _class_types.encode_dataclass),
    (_scientific_types.is_numpy_value, _scientific_types.encode_numpy),
    (_scientific_types.is_pandas_value, _scientific_types.encode_pandas),
    (_class_types.is_pydantic_model, _class_types.encode_pydantic),
)
"""Checked in order for values whose exact type has no encoder (Enum before its int or str base)."""

_DECODERS = {**_stdlib_types.DECODERS, **_class_types.DECODERS, **_scientific_types.DECODERS}


class _Walk:
    """One encoding pass. Returns the input objects themselves wherever nothing needs a tag."""

    __slots__ = ("active", "scalars")

    def __init__(self, *, tag_non_finite_floats: bool) -> None:
        self.active: set[int] = set()  # containers on the current path, to refuse reference cycles
        self.scalars = _SCALARS_BUT_FLOAT if tag_non_finite_floats else _SCALARS

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind in self.scalars:
            return value
        if kind is list:
            return self.encode_list(value)
        if kind is dict:
            return self.encode_dict(value)
        if kind is float:
            return _stdlib_types.encode_float(value)
        return self.encode_typed(value)

    def child(self, value: Any, segment: str) -> Any:
        try:
            return self.encode(value)
        except UnsupportedValue as error:
            error.segments.append(segment)
            raise

    def _enter(self, container: Any) -> None:
        if id(container) in self.active:
            raise UnsupportedValue(container, "it contains itself (a reference cycle)")
        self.active.add(id(container))

    def encode_list(self, values: list[Any]) -> list[Any]:
        if self.scalars.issuperset(map(type, values)):  # a C-speed check for the common flat list
            return values
        self._enter(values)
        result = values  # copied on the first item that changes
        scalars = self.scalars
        for index, item in enumerate(values):
            kind = type(item)
            if kind in scalars:
                continue
            try:  # inlined self.child(): lists of dicts are the common case worth a few lines
                encoded = self.encode_dict(item) if kind is dict else self.encode(item)
            except UnsupportedValue as error:
                error.segments.append(f"[{index}]")
                raise
            if encoded is not item:
                if result is values:
                    result = list(values)
                result[index] = encoded
        self.active.discard(id(values))
        return result

    def encode_dict(self, mapping: dict[Any, Any]) -> Any:
        if TAG in mapping:
            return self.encode_dict_as_items(mapping)
        if _STR.issuperset(map(type, mapping)) and self.scalars.issuperset(map(type, mapping.values())):
            return mapping
        self._enter(mapping)
        result = mapping
        scalars = self.scalars
        for key, item in mapping.items():
            if type(key) is not str:
                self.active.discard(id(mapping))
                return self.encode_dict_as_items(mapping)
            if type(item) in scalars:
                continue
            encoded = self.child(item, f"[{key!r}]")
            if encoded is not item:
                if result is mapping:
                    result = dict(mapping)
                result[key] = encoded
        self.active.discard(id(mapping))
        return result

    def encode_dict_as_items(self, mapping: dict[Any, Any]) -> dict[str, Any]:
        """Non-str keys, or a user dict holding the tag key: a list of [key, value] pairs."""
        self._enter(mapping)
        items = [
            [self.child(key, f".keys()[{index}]"), self.child(item, f"[{key!r}]")]
            for index, (key, item) in enumerate(mapping.items())
        ]
        self.active.discard(id(mapping))
        return {TAG: "dict", "items": items}

    def encode_typed(self, value: Any) -> Any:
        encoder = _stdlib_types.ENCODERS.get(type(value))
        if encoder is None:
            if isinstance(value, _DICT_SUBCLASSES):
                return self.encode_dict(dict(value))
            for accepts, candidate in _GENERIC_ENCODERS:
                if accepts(value):
                    encoder = candidate
                    break
            else:
                raise UnsupportedValue(value, "dagmap cannot store this type as an XCom (see docs/xcom.md)")
        self._enter(value)
        encoded = encoder(value, self.child)
        self.active.discard(id(value))
        return encoded


def _dumps(value: Any) -> str:
    # check_circular is off because the walk refuses cycles itself; allow_nan is off: strict JSON only.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: escape them rather than fail when stored
            text = json.dumps(value, separators=(",", ":"), check_circular=False, allow_nan=False)
    return text


def serialize(value: Any) -> str:
    """The JSON document for ``value``; raises :class:`XComSerializationError` naming the type and path."""
    try:
        encoded = _Walk(tag_non_finite_floats=False).encode(value)
        try:
            return _dumps(encoded)
        except ValueError:  # NaN or infinity somewhere: walk again, tagging them (rare, so not the fast path)
            encoded = _Walk(tag_non_finite_floats=True).encode(value)
            return _dumps(encoded)
    except UnsupportedValue as error:
        path = "value" + "".join(reversed(error.segments))
        raise XComSerializationError(
            f"cannot serialize {error.type_name} at {path}: {error.reason}",
            type_name=error.type_name,
            path=path,
        ) from None
    except ValueError as error:  # e.g. an int with more digits than Python converts to text
        raise XComSerializationError(f"cannot serialize the value: {error}") from error


def serialize_for_task(value: Any, *, dag_id: str, task_id: str, map_index: int, key: str) -> str:
    """:func:`serialize`, with errors naming the DAG, task, map index and XCom key."""
    try:
        return serialize(value)
    except XComSerializationError as error:
        raise XComSerializationError(
            f"XCom {key!r}: {error.message}",
            dag_id=dag_id,
            task_id=task_id,
            map_index=map_index,
            key=key,
            **error.details,
        ) from error


def _object_hook(document: dict[str, Any]) -> Any:
    tag = document.get(TAG)
    if tag is None:
        return document
    decoder = _DECODERS.get(tag) if type(tag) is str else None
    if decoder is None:
        hint = " (an object-store reference: decode it with XComStorage)" if tag == "xcom_ref" else ""
        raise DecodeError(f"unknown tagged type {tag!r}{hint}")
    try:
        return decoder(document)
    except DecodeError:
        raise
    except Exception as error:  # a damaged document: fields of the wrong JSON type and the like
        raise DecodeError(f"invalid {tag}: {type(error).__name__}: {error}") from error


def deserialize(text: str) -> Any:
    """The value a :func:`serialize` document stands for; classes are imported again by their path."""
    try:
        return json.loads(text, object_hook=_object_hook)
    except DecodeError as error:
        raise XComSerializationError(f"cannot deserialize the XCom value: {error}") from error
    except json.JSONDecodeError as error:
        raise XComSerializationError(f"the stored XCom value is not valid JSON: {error}") from error
