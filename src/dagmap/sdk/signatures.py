"""Cached facts about operator constructors and TaskFlow functions (which arguments exist, which are required).

Computed once per class or function: parsing thousands of mapped instances must not re-inspect signatures.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dagmap.sdk.context import KNOWN_CONTEXT_KEYS


@dataclass(frozen=True)
class CallableFacts:
    names: tuple[str, ...]
    """Parameters that can be given by keyword, in order (no ``*args`` / ``**kwargs``)."""
    required: frozenset[str]
    """Parameters without a default (context-key parameters excluded: the runner fills them)."""
    var_keyword: bool
    var_positional: bool
    defaults: dict[str, Any]


@functools.lru_cache(maxsize=4096)
def callable_facts(function: Callable[..., Any]) -> CallableFacts:
    signature = inspect.signature(function)
    names: list[str] = []
    required: set[str] = set()
    defaults: dict[str, Any] = {}
    var_keyword = var_positional = False
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD:
            var_keyword = True
        elif parameter.kind is parameter.VAR_POSITIONAL:
            var_positional = True
        elif parameter.kind is not parameter.POSITIONAL_ONLY:
            names.append(parameter.name)
            if parameter.default is parameter.empty:
                if parameter.name not in KNOWN_CONTEXT_KEYS:
                    required.add(parameter.name)
            else:
                defaults[parameter.name] = parameter.default
    return CallableFacts(tuple(names), frozenset(required), var_keyword, var_positional, defaults)


@dataclass(frozen=True)
class OperatorInitFacts:
    names: frozenset[str]
    """Every argument some ``__init__`` of the class (or its bases) names explicitly."""
    required: frozenset[str]
    """Arguments without a default in the class's own (most derived) ``__init__``: a subclass may supply its
    bases' required arguments itself, so only Python can tell whether deeper ones are missing."""


@functools.lru_cache(maxsize=1024)
def operator_init_facts(operator_class: type) -> OperatorInitFacts:
    names: set[str] = set()
    required: set[str] = set()
    most_derived = True
    for klass in operator_class.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        for parameter in list(inspect.signature(init).parameters.values())[1:]:
            if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL) or parameter.name in names:
                continue
            names.add(parameter.name)
            if most_derived and parameter.default is parameter.empty:
                required.add(parameter.name)
        most_derived = False
    return OperatorInitFacts(frozenset(names), frozenset(required))
