"""The context's asset keys: ``outlet_events`` (set an event's extra) and ``triggering_asset_events`` (read the
events that triggered the run, loaded through the runtime client only when a task reads them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dagmap.runner.outcome import AssetEventInfo, AssetUpdate


def _uri(key: Any) -> str:
    """An asset (or Airflow 2 dataset) or its URI."""
    uri = key if isinstance(key, str) else getattr(key, "uri", None)
    if not isinstance(uri, str):
        raise KeyError(f"expected an Asset or its URI, not {key!r}")
    return uri


@dataclass
class OutletEventAccessor:
    """``context["outlet_events"][asset]``: set ``.extra`` to annotate the event the try records."""

    uri: str
    extra: dict[str, Any] = field(default_factory=dict)


class OutletEventAccessors(Mapping[Any, OutletEventAccessor]):
    """``context["outlet_events"]``, keyed by asset (or URI); an accessor is made on first use."""

    def __init__(self) -> None:
        self._by_uri: dict[str, OutletEventAccessor] = {}

    def __getitem__(self, key: Any) -> OutletEventAccessor:
        uri = _uri(key)
        accessor = self._by_uri.get(uri)
        if accessor is None:
            accessor = self._by_uri[uri] = OutletEventAccessor(uri)
        return accessor

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_uri)

    def __len__(self) -> int:
        return len(self._by_uri)

    def __repr__(self) -> str:
        return f"OutletEventAccessors({self._by_uri!r})"

    def updates(self, outlets: Sequence[Any]) -> list[AssetUpdate]:
        """One update per outlet of the task (``AssetSpec``s), with the extra set here. Raises TypeError when an
        extra is not a JSON-serializable dict."""
        found: list[AssetUpdate] = []
        for outlet in outlets:
            accessor = self._by_uri.get(outlet.uri)
            extra = accessor.extra if accessor is not None else {}
            if not isinstance(extra, dict):
                raise TypeError(f"outlet_events[{outlet.uri!r}].extra must be a dict, not {type(extra).__name__}")
            try:
                json.dumps(extra)
            except (TypeError, ValueError) as error:
                raise TypeError(f"outlet_events[{outlet.uri!r}].extra is not JSON-serializable: {error}") from None
            found.append(AssetUpdate(outlet.uri, outlet.name, outlet.group, dict(extra)))
        return found


class AssetEvent:
    """One event that triggered the run: ``.uri``, ``.asset``, ``.extra``, ``.timestamp``, ``.source_*``."""

    def __init__(self, info: AssetEventInfo) -> None:
        self.uri = info.uri
        self.extra = info.extra
        self.timestamp: datetime = info.timestamp
        self.source_dag_id = info.source_dag_id
        self.source_task_id = info.source_task_id
        self.source_run_id = info.source_run_id
        self.source_map_index = info.source_map_index
        self._info = info

    @property
    def asset(self) -> Any:
        from dagmap.sdk.assets import Asset

        return Asset(self._info.uri, name=self._info.name, group=self._info.group)

    dataset = asset  # Airflow 2's name

    @property
    def source_dag_run(self) -> Any:
        """The run that produced the event (``.logical_date``, ``.data_interval_start``, ``.conf``, ...), or None."""
        from dagmap.runner.context import DagRunView

        return None if self._info.source_run is None else DagRunView(self._info.source_run)

    def __repr__(self) -> str:
        return (
            f"AssetEvent(uri={self.uri!r}, extra={self.extra!r}, timestamp={self.timestamp.isoformat()!r}, "
            f"source_dag_id={self.source_dag_id!r}, source_task_id={self.source_task_id!r}, "
            f"source_run_id={self.source_run_id!r}, source_map_index={self.source_map_index!r})"
        )


class TriggeringAssetEvents(Mapping[Any, list[AssetEvent]]):
    """``triggering_asset_events`` (keys: assets) and ``triggering_dataset_events`` (keys: URIs, as Airflow 2):
    the events that triggered the run, by asset; either an asset or its URI looks them up. Loaded on first use."""

    def __init__(self, load: Callable[[], Sequence[AssetEventInfo]], *, keys: str = "asset") -> None:
        self._load = load
        self._keys = keys
        self._by_uri: dict[str, list[AssetEvent]] | None = None

    def _events(self) -> dict[str, list[AssetEvent]]:
        if self._by_uri is None:
            by_uri: dict[str, list[AssetEvent]] = {}
            for info in self._load():
                by_uri.setdefault(info.uri, []).append(AssetEvent(info))
            self._by_uri = by_uri
        return self._by_uri

    def __getitem__(self, key: Any) -> list[AssetEvent]:
        return self._events()[_uri(key)]

    def __contains__(self, key: object) -> bool:
        try:
            return _uri(key) in self._events()
        except KeyError:
            return False

    def __iter__(self) -> Iterator[Any]:
        events = self._events()
        if self._keys == "uri":
            return iter(list(events))
        return iter([values[0].asset for values in events.values()])

    def __len__(self) -> int:
        return len(self._events())

    def __repr__(self) -> str:
        return repr(self._events())

    __str__ = __repr__
