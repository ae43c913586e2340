"""Assets (Airflow 2's datasets): ``Asset``, and the conditions ``AssetAll`` / ``AssetAny`` built with ``&`` / ``|``.

Authoring objects only. A DAG scheduled on a condition stores it as JSON in its timetable
(:class:`dagmap.timetables.assets.AssetTriggeredTimetable`); a task's outlets become ``AssetSpec``s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.sdk import active

__all__ = ["Asset", "AssetAll", "AssetAny", "BaseAsset", "as_asset_condition", "validate_outlets"]

_TIME_SCHEDULE_HINT = (
    "a schedule cannot combine assets with a time schedule (Airflow's AssetOrTimeSchedule is not supported "
    "by dagmap): schedule on the assets, or on the time, in two DAGs"
)


class BaseAsset:
    """An asset condition: one asset, or all / any of several conditions."""

    def __and__(self, other: object) -> AssetAll:
        if not isinstance(other, BaseAsset):
            raise _error(_combine_error(other))
        return AssetAll(self, other)

    def __or__(self, other: object) -> AssetAny:
        if not isinstance(other, BaseAsset):
            raise _error(_combine_error(other))
        return AssetAny(self, other)

    __rand__ = __and__
    __ror__ = __or__

    def iter_assets(self) -> Iterator[Asset]:
        """Every asset in the condition, each URI once, in the order written."""
        raise NotImplementedError

    def as_expression(self) -> dict[str, Any]:
        """The JSON form stored in the DAG's timetable (see ``dagmap.timetables.assets``)."""
        raise NotImplementedError

    def evaluate(self, updated: set[str]) -> bool:
        """Whether the condition holds when the assets with these URIs have been updated."""
        raise NotImplementedError


def _combine_error(other: object) -> str:
    if isinstance(other, str) or type(other).__name__ in ("timedelta", "relativedelta"):
        return _TIME_SCHEDULE_HINT
    return f"an asset can be combined with & and | only with assets, not {type(other).__name__}"


def _check_text(value: Any, name: str, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        problem = f"must be a str, not {type(value).__name__} ({value!r})"
    elif not value:
        problem = "must not be empty"
    elif value != value.strip():
        problem = f"must not start or end with whitespace: {value!r}"
    else:
        return value
    raise _error(f"an asset's {name} {problem}", name)


def _error(message: str, argument: str = "schedule") -> DagDefinitionError:
    """An error naming the DAG file (and the DAG, inside ``with DAG(...)``) where the asset was written."""
    from dagmap.sdk.dag import caller_file

    dag = active.current_dag()
    return DagDefinitionError(
        message,
        filename=dag.fileloc if dag is not None else caller_file(),
        dag_id=dag.dag_id if dag is not None else None,
        argument=argument,
    )


class Asset(BaseAsset):
    """Data a task produces (``outlets=[Asset(...)]``) and DAGs may be scheduled on (``schedule=[Asset(...)]``).

    Identified by its URI; ``name`` defaults to the URI (and the URI to the name when only ``name=`` is given,
    as in Airflow 3). ``extra`` describes the asset itself; an event's own extra is set by the producing task
    through ``context["outlet_events"][asset].extra``.
    """

    def __init__(
        self, uri: str | None = None, name: str | None = None, group: str = "asset", extra: dict[str, Any] | None = None
    ) -> None:
        if uri is None and name is not None:
            uri = name  # Airflow 3's Asset(name="...") alone: the name is the URI too
        self.uri: str = _check_text(uri, "uri") or ""
        self.name: str = _check_text(name, "name", allow_none=True) or self.uri
        self.group: str = _check_text(group, "group") or "asset"
        if extra is not None and not isinstance(extra, dict):
            raise _error(f"an asset's extra must be a dict, not {type(extra).__name__}", "extra")
        try:
            json.dumps(extra)
        except (TypeError, ValueError) as error:
            raise _error(f"an asset's extra must be JSON-serializable: {error}", "extra") from None
        self.extra: dict[str, Any] = dict(extra or {})

    def iter_assets(self) -> Iterator[Asset]:
        yield self

    def as_expression(self) -> dict[str, Any]:
        return {"asset": {"uri": self.uri, "name": self.name, "group": self.group, "extra": self.extra}}

    def evaluate(self, updated: set[str]) -> bool:
        return self.uri in updated

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Asset):
            return NotImplemented
        return self.uri == other.uri

    def __hash__(self) -> int:
        return hash(("asset", self.uri))

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name != self.uri else ""
        return f"{type(self).__name__}({self.uri!r}{named})"


class _AssetBooleanCondition(BaseAsset):
    kind: str = ""

    def __init__(self, *objects: BaseAsset) -> None:
        if not objects:
            raise _error(f"{type(self).__name__}() needs at least one asset")
        for item in objects:
            if not isinstance(item, BaseAsset):
                raise _error(
                    f"{type(self).__name__}() takes assets and asset conditions, not {type(item).__name__}: "
                    f"{_combine_error(item)}"
                )
        self.objects: tuple[BaseAsset, ...] = objects

    def iter_assets(self) -> Iterator[Asset]:
        seen: set[str] = set()
        for item in self.objects:
            for asset in item.iter_assets():
                if asset.uri not in seen:
                    seen.add(asset.uri)
                    yield asset

    def as_expression(self) -> dict[str, Any]:
        return {self.kind: [item.as_expression() for item in self.objects]}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _AssetBooleanCondition):
            return NotImplemented
        return type(self) is type(other) and self.objects == other.objects

    def __hash__(self) -> int:
        return hash((type(self), self.objects))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(o) for o in self.objects)})"


class AssetAll(_AssetBooleanCondition):
    """Holds once every one of its conditions holds (``a & b``, or ``schedule=[a, b]``)."""

    kind = "all"

    def __and__(self, other: object) -> AssetAll:
        if not isinstance(other, BaseAsset):
            raise _error(_combine_error(other))
        return AssetAll(*self.objects, other)  # a & b & c: one flat AssetAll

    def evaluate(self, updated: set[str]) -> bool:
        return all(item.evaluate(updated) for item in self.objects)


class AssetAny(_AssetBooleanCondition):
    """Holds once any one of its conditions holds (``a | b``)."""

    kind = "any"

    def __or__(self, other: object) -> AssetAny:
        if not isinstance(other, BaseAsset):
            raise _error(_combine_error(other))
        return AssetAny(*self.objects, other)

    def evaluate(self, updated: set[str]) -> bool:
        return any(item.evaluate(updated) for item in self.objects)


def is_asset_schedule(schedule: Any) -> bool:
    """``schedule`` names assets: a condition, or a non-empty list/tuple with an asset in it."""
    if isinstance(schedule, BaseAsset):
        return True
    return isinstance(schedule, (list, tuple)) and any(isinstance(item, BaseAsset) for item in schedule)


def as_asset_condition(schedule: Any) -> BaseAsset:
    """The condition a ``schedule`` argument names (a list means all of them)."""
    if isinstance(schedule, BaseAsset):
        return schedule
    items = list(schedule)
    for item in items:
        if not isinstance(item, BaseAsset):
            raise DagDefinitionError(f"schedule lists assets and {item!r}: {_combine_error(item)}", argument="schedule")
    return AssetAll(*items)


def validate_outlets(value: Any) -> list[Asset]:
    """A task's ``outlets``: None, one asset or a list of assets (anything else is a definition error)."""
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
    found: list[Asset] = []
    for item in items:
        if not isinstance(item, Asset):
            raise DagDefinitionError(
                f"outlets must be assets (Asset(...), or Dataset(...)), not {type(item).__name__} ({item!r})",
                argument="outlets",
            )
        if item not in found:
            found.append(item)
    return found
