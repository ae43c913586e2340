"""The timetable of a DAG scheduled on assets: its condition as JSON, evaluated against the assets updated.

Condition JSON: ``{"asset": {"uri", "name", "group", "extra"}}``, ``{"all": [condition, ...]}`` or
``{"any": [condition, ...]}``. Runs are created by the scheduler from asset events, never from the clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from dagmap.errors import ScheduleError
from dagmap.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

__all__ = [
    "AssetOrTimeSchedule",
    "AssetTriggeredTimetable",
    "DatasetOrTimeSchedule",
    "condition_uris",
    "evaluate_condition",
]


def _check(condition: Any) -> None:
    if not isinstance(condition, Mapping) or len(condition) != 1:
        raise ScheduleError(f"invalid asset condition {condition!r}")
    ((kind, value),) = condition.items()
    if kind == "asset":
        if not isinstance(value, Mapping) or not isinstance(value.get("uri"), str):
            raise ScheduleError(f"invalid asset in a condition: {value!r}")
    elif kind in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ScheduleError(f"invalid asset condition {condition!r}: {kind!r} needs a non-empty list")
        for item in value:
            _check(item)
    else:
        raise ScheduleError(f"invalid asset condition {condition!r}: unknown kind {kind!r}")


def iter_condition_assets(condition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every asset (its JSON) in the condition, in the order written (a URI may repeat)."""
    ((kind, value),) = condition.items()
    if kind == "asset":
        yield value
    else:
        for item in value:
            yield from iter_condition_assets(item)


def condition_uris(condition: Mapping[str, Any]) -> list[str]:
    """The URIs of the condition's assets, each once, in the order written."""
    return list(dict.fromkeys(asset["uri"] for asset in iter_condition_assets(condition)))


def evaluate_condition(condition: Mapping[str, Any], updated: Collection[str]) -> bool:
    """Whether the condition holds when the assets with the URIs ``updated`` have been updated."""
    ((kind, value),) = condition.items()
    if kind == "asset":
        return value["uri"] in updated
    results = (evaluate_condition(item, updated) for item in value)
    return all(results) if kind == "all" else any(results)


def _describe(condition: Mapping[str, Any], top: bool = True) -> str:
    ((kind, value),) = condition.items()
    if kind == "asset":
        return str(value["uri"])
    text = (" & " if kind == "all" else " | ").join(_describe(item, False) for item in value)
    return text if top or len(value) == 1 else f"({text})"


class AssetTriggeredTimetable(Timetable):
    """Runs when the DAG's asset condition holds: created by the scheduler from asset events."""

    type_name: ClassVar[str] = "asset"
    periodic: ClassVar[bool] = False
    can_be_scheduled: ClassVar[bool] = False
    """Never from the clock: ``create_due_runs`` leaves these DAGs to ``create_asset_triggered_runs``."""

    def __init__(self, condition: Mapping[str, Any]) -> None:
        _check(condition)
        self.condition: dict[str, Any] = dict(condition)

    @property
    def summary(self) -> str:
        return "Asset"

    @property
    def description(self) -> str:
        return f"when assets are updated: {_describe(self.condition)}"

    @property
    def uris(self) -> list[str]:
        return condition_uris(self.condition)

    def evaluate(self, updated: Collection[str]) -> bool:
        return evaluate_condition(self.condition, updated)

    def _serialize_fields(self) -> dict[str, Any]:
        return {"condition": self.condition}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timetable):
            return NotImplemented
        return isinstance(other, AssetTriggeredTimetable) and self.condition == other.condition

    def __hash__(self) -> int:
        return hash((type(self), _describe(self.condition)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_describe(self.condition)!r})"

    def infer_manual_data_interval(self, run_after: datetime) -> DataInterval:
        return DataInterval.exact(run_after)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime | None = None,
    ) -> DagRunInfo | None:
        return None


class AssetOrTimeSchedule:
    """Airflow's schedule on assets *or* a timetable: not supported by dagmap (refused when the DAG file loads)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ScheduleError(
            "AssetOrTimeSchedule is not supported by dagmap: schedule one DAG on the assets and another on the "
            "time, or trigger runs by hand",
            argument="schedule",
        )


DatasetOrTimeSchedule = AssetOrTimeSchedule
"""Airflow 2's name (``airflow.timetables.datasets``): refused too."""
