"""Shared pieces of the XCom codec: the tag key, the child-encoder callback and the internal error.

Nothing here imports numpy, pandas, pyarrow or pydantic.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

TAG = "__dagmap_type__"
"""Key that marks a typed value in the JSON document; user dicts holding it are escaped."""

ChildEncoder = Callable[[Any, str], Any]
"""``child(value, path_segment)`` encodes a nested value; the segment names it in error paths."""


class UnsupportedValue(Exception):
    """Raised inside the encoder; the public layer turns it into ``XComSerializationError`` with a path."""

    def __init__(self, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.type_name = qualified_name(type(value))
        self.reason = reason
        self.segments: list[str] = []
        """Path segments, innermost first (appended while the error unwinds)."""


class DecodeError(Exception):
    """Raised inside the decoder; the public layer turns it into ``XComSerializationError``."""


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def import_path(value: Any) -> str:
    """``module:Qualified.Name`` of the value's class; the class must be importable again by that path."""
    cls = type(value)
    path = f"{cls.__module__}:{cls.__qualname__}"
    try:
        found = resolve_class(path)
    except DecodeError:
        found = None
    if found is not cls:
        raise UnsupportedValue(
            value,
            f"its class cannot be imported again as {path!r}; define it at module level of an importable module",
        )
    return path


def resolve_class(path: str) -> type:
    """The class named by ``module:Qualified.Name`` (imports the module when needed)."""
    module_name, _, qualname = path.partition(":")
    if not module_name or not qualname or "<locals>" in qualname:
        raise DecodeError(f"invalid class path {path!r}")
    try:
        found: Any = sys.modules.get(module_name) or importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as error:
        raise DecodeError(f"cannot import {path!r}: {error}") from error
    if not isinstance(found, type):
        raise DecodeError(f"{path!r} is not a class")
    return found


def require(document: dict[str, Any], key: str) -> Any:
    """A field of a tagged object; a clear error if the document was tampered with or truncated."""
    try:
        return document[key]
    except KeyError:
        raise DecodeError(f"tagged value {document.get(TAG)!r} lacks field {key!r}") from None
