"""DAG and task params: :class:`Param` (a default plus JSON-schema keywords), :class:`ParamsDict`, validation.

:func:`resolve_params` is what creating a run calls: defaults, overridden by ``conf``, each validated.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import jsonschema

from dagmap.errors import ParamValidationError
from dagmap.sdk.types import NOTSET, ArgNotSet


class Param:
    """A param's default and the JSON schema its value must match: ``Param(5, type="integer", minimum=0)``."""

    def __init__(self, default: Any = NOTSET, description: str | None = None, **schema: Any) -> None:
        self.value = default
        self.description = description
        self.schema: dict[str, Any] = schema.pop("schema") if "schema" in schema else schema

    @property
    def has_value(self) -> bool:
        return not isinstance(self.value, ArgNotSet)

    def resolve(self, value: Any = NOTSET, *, name: str = "param") -> Any:
        """The final value (``value`` if given, else the default), validated against the schema."""
        final = self.value if isinstance(value, ArgNotSet) else value
        if isinstance(final, ArgNotSet):
            raise ParamValidationError(
                f"param {name!r} has no default value and none was given in the run's conf", argument=name
            )
        if self.schema:
            try:
                jsonschema.validate(final, self.schema, format_checker=jsonschema.FormatChecker())
            except jsonschema.ValidationError as error:
                raise ParamValidationError(
                    f"param {name!r}: value {final!r} is invalid: {error.message}", argument=name
                ) from None
            except jsonschema.SchemaError as error:
                raise ParamValidationError(
                    f"param {name!r} has an invalid schema: {error.message}", argument=name
                ) from None
        return final

    def serialize(self) -> dict[str, Any]:
        """``{"value", "description", "schema", "has_default"}`` (``value`` is None without a default)."""
        return {
            "value": self.value if self.has_value else None,
            "description": self.description,
            "schema": dict(self.schema),
            "has_default": self.has_value,
        }

    @classmethod
    def deserialize(cls, data: Mapping[str, Any]) -> Param:
        has_default = data.get("has_default", True)
        return cls(data.get("value") if has_default else NOTSET, data.get("description"), schema=data.get("schema", {}))

    def __copy__(self) -> Param:
        return Param(self.value, self.description, schema=dict(self.schema))

    def __repr__(self) -> str:
        return f"Param({self.value!r})"


def as_param(value: Any) -> Param:
    return value if isinstance(value, Param) else Param(value)


class ParamsDict(MutableMapping[str, Any]):
    """Name -> :class:`Param`; reading an item gives the param's value (as in Airflow)."""

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        self._params: dict[str, Param] = {}
        if params is not None:
            items = params.get_params().items() if isinstance(params, ParamsDict) else params.items()
            for name, value in items:
                self[name] = copy.copy(value) if isinstance(value, Param) else value

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, Param):
            self._params[name] = value
        elif name in self._params:
            self._params[name].value = value
        else:
            self._params[name] = Param(value)

    def __getitem__(self, name: str) -> Any:
        value = self._params[name].value
        return None if isinstance(value, ArgNotSet) else value

    def __delitem__(self, name: str) -> None:
        del self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def get_param(self, name: str) -> Param:
        return self._params[name]

    def get_params(self) -> dict[str, Param]:
        return dict(self._params)

    def merged(self, other: Mapping[str, Any] | None) -> ParamsDict:
        """A copy with ``other``'s params added (theirs win)."""
        result = ParamsDict(self)
        for name, value in (other.get_params() if isinstance(other, ParamsDict) else (other or {})).items():
            result[name] = copy.copy(value) if isinstance(value, Param) else value
        return result

    def validate_defaults(self) -> None:
        """Each default must match its schema and be JSON-serializable (raises ParamValidationError)."""
        for name, param in self._params.items():
            if not param.has_value:
                continue
            try:
                json.dumps(param.value)
            except (TypeError, ValueError):
                raise ParamValidationError(
                    f"param {name!r}: the default {param.value!r} is not JSON-serializable", argument=name
                ) from None
            param.resolve(name=name)

    def serialize(self) -> dict[str, Any]:
        return {name: param.serialize() for name, param in self._params.items()}

    def __repr__(self) -> str:
        return f"ParamsDict({self._params!r})"


def params_from_spec(spec_params: Mapping[str, Mapping[str, Any]]) -> ParamsDict:
    """Params rebuilt from ``DagSpec.params`` (so the API can validate a conf without user code)."""
    return ParamsDict({name: Param.deserialize(data) for name, data in spec_params.items()})


def resolve_params(
    dag_params: Mapping[str, Any],
    conf: Mapping[str, Any] | None = None,
    *,
    task_params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The params of a run (or of one task in it): defaults < task params < ``conf``, every one validated.

    ``conf`` keys that are not params are kept as plain values (Airflow lets ``conf`` add params).
    Raises :class:`~dagmap.errors.ParamValidationError` naming the first bad param.
    """
    merged = ParamsDict(dag_params).merged(task_params)
    conf = conf or {}
    result = {name: param.resolve(conf.get(name, NOTSET), name=name) for name, param in merged.get_params().items()}
    for name, value in conf.items():
        result.setdefault(name, value)
    return result


class DagParam:
    """A ``@dag`` function argument: stands for ``params[name]`` of the run, resolved when a task renders."""

    def __init__(self, name: str, default: Any = NOTSET) -> None:
        self.name = name
        self.default = default

    def resolve(self, context: Mapping[str, Any]) -> Any:
        params = context.get("params") or {}
        if self.name in params:
            return params[self.name]
        if isinstance(self.default, ArgNotSet):
            raise ParamValidationError(f"param {self.name!r} has no value in this run", argument=self.name)
        return self.default

    def __repr__(self) -> str:
        return f"DagParam({self.name!r})"
