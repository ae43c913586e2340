"""Tagged encodings of user classes: Enum members, dataclasses, named tuples and pydantic models.

Stored by import path and field values, rebuilt by importing the class again: never pickle.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from typing import Any, cast

from dagmap.xcom._common import TAG, ChildEncoder, DecodeError, import_path, require
from dagmap.xcom._common import resolve_class as _resolve_class


def _resolve(document: dict[str, Any], base: type | None = None) -> type:
    cls = _resolve_class(require(document, "class"))
    if base is not None and not issubclass(cls, base):
        raise DecodeError(f"{document['class']!r} is not a {base.__qualname__}")
    return cls


def _fields(document: dict[str, Any]) -> dict[str, Any]:
    fields = require(document, "fields")
    if type(fields) is not dict:
        raise DecodeError(f"invalid {document[TAG]}: fields is not an object")
    return fields


def _rebuild(cls: type, build: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return build(*args, **kwargs)
    except Exception as error:  # the class's own constructor or validators refused the stored fields
        raise DecodeError(f"cannot rebuild {cls.__module__}.{cls.__qualname__}: {error}") from error


# --- Enum -----------------------------------------------------------------------------------------------


def encode_enum(value: enum.Enum, child: ChildEncoder) -> dict[str, Any]:
    return {TAG: "enum", "class": import_path(value), "value": child(value.value, ".value")}


def _decode_enum(document: dict[str, Any]) -> enum.Enum:
    cls = _resolve(document, enum.Enum)
    return _rebuild(cls, cls, require(document, "value"))  # type: ignore[no-any-return]


# --- dataclasses ----------------------------------------------------------------------------------------


def is_dataclass_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def encode_dataclass(value: Any, child: ChildEncoder) -> dict[str, Any]:
    path = import_path(value)
    fields = {field.name: child(getattr(value, field.name), f".{field.name}") for field in dataclasses.fields(value)}
    return {TAG: "dataclass", "class": path, "fields": fields}


def _decode_dataclass(document: dict[str, Any]) -> Any:
    cls = _resolve(document)
    if not dataclasses.is_dataclass(cls):
        raise DecodeError(f"{document['class']!r} is not a dataclass")
    stored = _fields(document)
    declared = dataclasses.fields(cls)
    if {field.name for field in declared} != set(stored):
        raise DecodeError(f"the fields of {document['class']!r} changed since the value was stored")
    init = {field.name: stored[field.name] for field in declared if field.init}
    result = _rebuild(cls, cls, **init)
    for field in declared:
        if not field.init:  # restore what __post_init__ or a default computed when the value was made
            object.__setattr__(result, field.name, stored[field.name])
    return result


# --- named tuples ---------------------------------------------------------------------------------------


def is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and isinstance(getattr(type(value), "_fields", None), tuple)


def encode_namedtuple(value: Any, child: ChildEncoder) -> dict[str, Any]:
    fields = {name: child(item, f".{name}") for name, item in zip(type(value)._fields, value, strict=True)}
    return {TAG: "namedtuple", "class": import_path(value), "fields": fields}


def _decode_namedtuple(document: dict[str, Any]) -> Any:
    cls = _resolve(document, tuple)
    return _rebuild(cls, cls, **_fields(document))


# --- pydantic models (pydantic is looked up, never imported, when encoding) ------------------------------


def is_pydantic_model(value: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def encode_pydantic(value: Any, child: ChildEncoder) -> dict[str, Any]:
    from pydantic import RootModel

    path = import_path(value)
    if isinstance(value, RootModel):
        return {TAG: "pydantic", "class": path, "root": child(value.root, ".root")}
    names = list(type(value).model_fields)
    fields = {name: child(getattr(value, name), f".{name}") for name in names}
    for name, item in (value.__pydantic_extra__ or {}).items():
        fields[name] = child(item, f".{name}")
    return {TAG: "pydantic", "class": path, "fields": fields}


def _decode_pydantic(document: dict[str, Any]) -> Any:
    from pydantic import BaseModel, RootModel

    cls = cast("type[BaseModel]", _resolve(document, BaseModel))
    if issubclass(cls, RootModel):
        return _rebuild(cls, cls.model_validate, require(document, "root"))
    # Fields are stored under their Python names, whatever their aliases are.
    return _rebuild(cls, cls.model_validate, _fields(document), by_alias=False, by_name=True)


DECODERS = {
    "enum": _decode_enum,
    "dataclass": _decode_dataclass,
    "namedtuple": _decode_namedtuple,
    "pydantic": _decode_pydantic,
}
