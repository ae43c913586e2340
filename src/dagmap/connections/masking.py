"""The process-wide registry of secret values, :func:`redact` and the logging filter that applies it.

Secrets get here three ways: connections and variables fetched through the secrets chain, values under
sensitive names (password, token, ...) and explicit :func:`mask_secret` calls. Nothing here does I/O.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from dagmap.connections.connection import Connection

REDACTED = "***"

DEFAULT_SENSITIVE_NAMES = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "authorization",
        "passphrase",
        "passwd",
        "password",
        "private_key",
        "secret",
        "token",
    }
)
"""A variable key or extra field whose lower-cased name contains one of these is a secret (Airflow's list)."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in text: hiding every ``ab`` would mangle logs and protect nothing."""


def _variants(secret: str) -> set[str]:
    """The secret as it may appear in output: raw, URL-encoded (URIs) and escaped (reprs, JSON)."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""), json.dumps(secret)[1:-1]}
    forms.add(repr(secret)[1:-1])
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class SecretsMasker:
    """Remembers secret values and replaces them (and values under sensitive names) with ``***``."""

    def __init__(self, sensitive_names: Iterable[str] = DEFAULT_SENSITIVE_NAMES) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.sensitive_names = frozenset(name.lower() for name in sensitive_names)
        self._names: dict[str, bool] = {}

    def is_sensitive_name(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        known = self._names.get(name)
        if known is None:
            lowered = name.lower()
            known = any(word in lowered for word in self.sensitive_names)
            if len(self._names) < 10_000:  # dict keys repeat across thousands of instances: remember them
                self._names[name] = known
        return known

    def add(self, secret: Any, name: str | None = None) -> None:
        """Register ``secret``: a string, or every string inside a mapping or sequence.

        Inside a mapping only values under sensitive names are registered, unless ``name`` (the name the
        whole value is known by) is itself sensitive.
        """
        found: set[str] = set()
        self._collect(secret, name is not None and self.is_sensitive_name(name), name is None, found)
        new = set().union(*(_variants(value) for value in found)) - self._secrets
        if new:
            with self._lock:
                self._secrets |= new
                self._pattern = None

    def _collect(self, value: Any, forced: bool, unnamed: bool, found: set[str]) -> None:
        """``forced``: under a sensitive name; ``unnamed``: passed to :meth:`add` as is, outside mappings."""
        if isinstance(value, str):
            if (forced or unnamed) and value:
                found.add(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                self._collect(item, forced or self.is_sensitive_name(key), False, found)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                self._collect(item, forced, unnamed, found)
        elif (forced or unnamed) and isinstance(value, int | float) and not isinstance(value, bool):
            found.add(str(value))

    def clear(self) -> None:
        """Forget every registered secret (tests)."""
        with self._lock:
            self._secrets.clear()
            self._pattern = None

    def redact_text(self, text: str) -> str:
        pattern = self._compiled()
        return pattern.sub(REDACTED, text) if pattern is not None else text

    def _compiled(self) -> re.Pattern[str] | None:
        pattern = self._pattern
        if pattern is None and self._secrets:
            with self._lock:
                ordered = sorted(self._secrets, key=len, reverse=True)  # longest first: no partial leaks
                pattern = self._pattern = re.compile("|".join(re.escape(value) for value in ordered))
        return pattern

    def redact(self, obj: Any, name: str | None = None) -> Any:
        """A copy of ``obj`` with secrets replaced; containers keep their type, other objects are kept."""
        if name is not None and self.is_sensitive_name(name):
            return self._hide_all(obj)
        if isinstance(obj, str):
            return self.redact_text(obj)
        if isinstance(obj, Mapping):
            return {key: self.redact(value, key if isinstance(key, str) else None) for key, value in obj.items()}
        if isinstance(obj, list):
            return [self.redact(item) for item in obj]
        if isinstance(obj, tuple):
            items = [self.redact(item) for item in obj]
            return type(obj)._make(items) if hasattr(obj, "_make") else tuple(items)
        if isinstance(obj, set | frozenset):
            return type(obj)(self.redact(item) for item in obj)
        return obj

    def _hide_all(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, bool):
            return obj
        if isinstance(obj, Mapping):
            return {key: self._hide_all(value) for key, value in obj.items()}
        if isinstance(obj, list | tuple | set | frozenset):
            return [self._hide_all(item) for item in obj]
        return REDACTED


_masker = SecretsMasker()


def get_masker() -> SecretsMasker:
    return _masker


def mask_secret(secret: Any, name: str | None = None) -> None:
    """Hide ``secret`` from every log record and :func:`redact` result of this process from now on."""
    _masker.add(secret, name)


def redact(obj: Any, name: str | None = None) -> Any:
    """``obj`` with registered secrets and values under sensitive names replaced by ``***``."""
    return _masker.redact(obj, name)


def is_sensitive_name(name: str) -> bool:
    return _masker.is_sensitive_name(name)


def mask_connection(connection: Connection) -> None:
    """Register the password and the extra fields under sensitive names."""
    if connection.password:
        _masker.add(connection.password)
    if connection.extra:
        _masker.add(connection.extra_dejson)


def mask_variable(key: str, value: str) -> None:
    """Register the value when the key names a secret, and the sensitive fields of a JSON object value."""
    _masker.add(value, key)
    if value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return
        if isinstance(decoded, dict):
            _masker.add(decoded)


class SecretsMaskingFilter(logging.Filter):
    """Redacts the message, arguments, exception text and stack of every record it sees.

    Attach it to handlers (filters on a logger do not see records propagated from its children).
    """

    _formatter = logging.Formatter()

    def __init__(self, masker: SecretsMasker | None = None) -> None:
        super().__init__()
        self._masker = masker or _masker

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._message(record)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._masker.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self._masker.redact_text(record.stack_info)
        return True

    def _message(self, record: logging.LogRecord) -> str:
        # Redact the arguments first so values under sensitive dict keys are hidden even when they were
        # never registered; fall back to the plain message if the redacted ones no longer fit the format.
        original_msg, original_args = record.msg, record.args
        try:
            record.msg = self._masker.redact(original_msg)
            record.args = self._masker.redact(original_args) if original_args else original_args
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            record.msg, record.args = original_msg, original_args
            message = record.getMessage()
        return self._masker.redact_text(message)
