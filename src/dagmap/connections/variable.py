"""``Variable``: Airflow's global key/value settings, read through the secrets chain, written to the store."""

from __future__ import annotations

import json
import logging
from typing import Any

from dagmap.connections import secrets
from dagmap.connections.masking import mask_variable
from dagmap.errors import VariableNotFound

log = logging.getLogger(__name__)

_NO_DEFAULT: Any = object()


class Variable:
    """Class methods only: ``Variable.get("key")``, ``Variable.set("key", value)``, ``Variable.delete("key")``."""

    @classmethod
    def get(cls, key: str, default_var: Any = _NO_DEFAULT, deserialize_json: bool = False) -> Any:
        """The value from the first backend that has it; ``default_var`` (when given) if none does."""
        try:
            value = secrets.get_variable(key)
        except VariableNotFound:
            if default_var is _NO_DEFAULT:
                raise
            return default_var
        return json.loads(value) if deserialize_json else value

    @classmethod
    def set(cls, key: str, value: Any, serialize_json: bool = False, description: str | None = None) -> None:
        """Store ``value`` (as JSON when ``serialize_json``, else as ``str(value)``) in the writable backend."""
        text = json.dumps(value, indent=2) if serialize_json else str(value)
        target = secrets.writable_backend()
        for backend in secrets.secrets_backends():
            if backend is target:
                break
            if backend.get_variable(key) is not None:
                log.warning(
                    "Variable %r is also defined in %s, which is read first: the stored value will not be "
                    "seen until that definition is removed",
                    key,
                    type(backend).__name__,
                )
        target.set_variable(key, text, description)
        mask_variable(key, text)

    @classmethod
    def delete(cls, key: str) -> bool:
        """Remove the stored variable; ``True`` when there was one."""
        return secrets.writable_backend().delete_variable(key)

    @classmethod
    def setdefault(cls, key: str, default: Any, deserialize_json: bool = False) -> Any:
        """The value if the variable exists, otherwise store ``default`` and return it."""
        try:
            return cls.get(key, deserialize_json=deserialize_json)
        except VariableNotFound:
            cls.set(key, default, serialize_json=deserialize_json)
            return default
