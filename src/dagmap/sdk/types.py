"""Small shared types of the authoring SDK: the ``NOTSET`` sentinel."""

from __future__ import annotations

from typing import Any, Final


class ArgNotSet:
    """The type of :data:`NOTSET`: an argument the user did not give (``None`` may be a real value)."""

    _instance: ArgNotSet | None = None

    def __new__(cls) -> ArgNotSet:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOTSET"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> ArgNotSet:
        return self

    def __deepcopy__(self, memo: Any) -> ArgNotSet:
        return self


NOTSET: Final = ArgNotSet()
