"""The template/execution context of one task instance (Airflow's keys), and the ``ti`` object tasks see."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from lazy_object_proxy import Proxy  # type: ignore[import-untyped]

from dagmap.errors import XComNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.asset_events import OutletEventAccessors, TriggeringAssetEvents
from dagmap.runner.client import RuntimeClient
from dagmap.runner.outcome import AssetEventInfo, ExternalDag, ExternalStates, PreviousRun, RunInfo, TriggeredDagRun
from dagmap.runner.run_dates import schedule_neighbours
from dagmap.states import DagRunType

_MISSING = object()


class RuntimeTaskInstance:
    """The ``ti`` / ``task_instance`` of the context: identity, try, and XCom push/pull."""

    def __init__(
        self,
        *,
        key: TaskInstanceKey,
        task: Any,
        try_number: int,
        max_tries: int,
        client: RuntimeClient,
        start_date: datetime,
        mapped_task_ids: frozenset[str],
        log_path: str,
    ) -> None:
        self.key = key
        self.dag_id, self.run_id, self.task_id, self.map_index = key
        self.task = task
        self.try_number = try_number
        self.max_tries = max_tries
        self.start_date = start_date
        self.state = "running"
        self.log_path = log_path
        self._client = client
        self._mapped_task_ids = mapped_task_ids
        self.pushed: dict[str, Any] = {}
        self.rendered_map_index: str | None = None

    @property
    def operator(self) -> str:
        return type(self.task).__name__

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(
        self,
        task_ids: str | Iterable[str] | None = None,
        key: str = "return_value",
        map_indexes: int | Iterable[int] | None = None,
        default: Any = None,
        dag_id: str | None = None,
        run_id: str | None = None,
        include_prior_dates: bool = False,
    ) -> Any:
        """Airflow's pull: one task id gives one value (a lazy sequence for a mapped task); a list gives a list."""
        dag_id = dag_id or self.dag_id
        run_id = run_id or self.run_id
        if task_ids is None:
            task_ids = self.task_id
        if isinstance(task_ids, str):
            return self._pull_one(dag_id, run_id, task_ids, key, map_indexes, default)
        return [self._pull_one(dag_id, run_id, task_id, key, map_indexes, default) for task_id in task_ids]

    def _pull_one(
        self, dag_id: str, run_id: str, task_id: str, key: str, map_indexes: int | Iterable[int] | None, default: Any
    ) -> Any:
        if map_indexes is None:
            if task_id in self._mapped_task_ids:
                return self._client.mapped_xcoms(dag_id, run_id, task_id, key)
            map_indexes = -1
        if isinstance(map_indexes, int):
            try:
                return self._client.get_xcom(TaskInstanceKey(dag_id, run_id, task_id, map_indexes), key)
            except XComNotFound:
                return default
        return [self._pull_one(dag_id, run_id, task_id, key, index, default) for index in map_indexes]

    def external_dag(self, dag_id: str) -> ExternalDag | None:
        """What the metadata database knows of another DAG (for sensors such as ``ExternalTaskSensor``)."""
        return self._client.external_dag(dag_id)

    def external_states(
        self, dag_id: str, logical_dates: Sequence[datetime], task_ids: Sequence[str] | None = None
    ) -> ExternalStates:
        """The states of another DAG's runs at ``logical_dates``, and of its ``task_ids``' instances there."""
        return self._client.external_states(dag_id, logical_dates, task_ids)

    def trigger_dag_run(
        self, dag_id: str, *, run_id: str | None, logical_date: datetime, conf: Mapping[str, Any], reset: bool = False
    ) -> TriggeredDagRun:
        """Queue a run of another DAG (``TriggerDagRunOperator``); the scheduler runs it."""
        return self._client.trigger_dag_run(dag_id, run_id=run_id, logical_date=logical_date, conf=conf, reset=reset)

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        return self._client.dag_run_state(dag_id, run_id)

    def dag_is_paused(self, dag_id: str) -> bool | None:
        return self._client.dag_is_paused(dag_id)

    def __repr__(self) -> str:
        index = f" [{self.map_index}]" if self.map_index >= 0 else ""
        return f"<TaskInstance {self.dag_id}.{self.task_id}{index} {self.run_id} try {self.try_number}>"


class DagRunView:
    """The ``dag_run`` of the context."""

    def __init__(self, info: RunInfo) -> None:
        self.dag_id = info.dag_id
        self.run_id = info.run_id
        self.run_type = info.run_type
        self.logical_date = info.logical_date
        self.execution_date = info.logical_date
        self.data_interval_start = info.data_interval_start
        self.data_interval_end = info.data_interval_end
        self.conf = info.conf
        self.start_date = info.start_date

    def __repr__(self) -> str:
        return f"<DagRun {self.dag_id} {self.run_id}>"


class _VariableAccessor:
    """``{{ var.value.name }}`` and ``{{ var.json.name }}``."""

    def __init__(self, deserialize_json: bool) -> None:
        self._json = deserialize_json

    def __getattr__(self, key: str) -> Any:
        from dagmap.connections import Variable

        return Variable.get(key, deserialize_json=self._json)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        from dagmap.connections import Variable

        if default is _MISSING:
            return Variable.get(key, deserialize_json=self._json)
        return Variable.get(key, default_var=default, deserialize_json=self._json)


class _ConnectionAccessor:
    """``{{ conn.my_conn.host }}``."""

    def __getattr__(self, conn_id: str) -> Any:
        from dagmap.connections import Connection

        return Connection.get(conn_id)

    def get(self, conn_id: str) -> Any:
        return self.__getattr__(conn_id)


def _ds(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value else None


def _nodash(ds: str | None) -> str | None:
    return ds.replace("-", "") if ds else None


def _previous_success_keys(client: RuntimeClient, info: RunInfo) -> dict[str, Any]:
    """The ``prev_*_success`` keys: lazy proxies over one (cached) query, made only if a task reads one."""
    previous: Callable[[], PreviousRun | None] = cache(lambda: client.previous_success(info.dag_id, info.run_id))

    def lazy(field: str) -> Any:
        return Proxy(lambda: getattr(previous(), field, None))

    return {
        "prev_data_interval_start_success": lazy("data_interval_start"),
        "prev_data_interval_end_success": lazy("data_interval_end"),
        "prev_start_date_success": lazy("start_date"),
        "prev_end_date_success": lazy("end_date"),
        "prev_execution_date_success": lazy("logical_date"),
    }


_RUN_KEYS_CACHE_SIZE = 64
_run_keys_cache: OrderedDict[int, tuple[RunInfo, Any, dict[str, Any]]] = OrderedDict()
"""Per DAG run (by the identity of its RunInfo, which the client caches): the context keys every instance of
the run shares, computed once — thousands of mapped instances of one run skip the date arithmetic."""


def _run_keys(dag: Any, info: RunInfo, client: RuntimeClient) -> dict[str, Any]:
    entry = _run_keys_cache.get(id(info))
    if entry is not None and entry[0] is info and entry[1] is dag:
        return entry[2]
    logical = info.logical_date or info.data_interval_start or info.start_date
    ts = logical.isoformat() if logical else None
    ds = _ds(logical)
    yesterday_ds = _ds(logical - timedelta(days=1)) if logical else None
    tomorrow_ds = _ds(logical + timedelta(days=1)) if logical else None
    timetable = getattr(dag, "timetable", None)
    previous, following = (
        schedule_neighbours(
            timetable, info.run_type, info.logical_date, info.data_interval_start, info.data_interval_end
        )
        if timetable is not None
        else (None, None)
    )
    prev_ds = _ds(previous)
    next_ds = _ds(following)
    keys: dict[str, Any] = {
        "run_id": info.run_id,
        "logical_date": logical,
        "execution_date": logical,
        "data_interval_start": info.data_interval_start,
        "data_interval_end": info.data_interval_end,
        "ds": ds,
        "ds_nodash": _nodash(ds),
        "ts": ts,
        "ts_nodash": logical.strftime("%Y%m%dT%H%M%S") if logical else None,
        "ts_nodash_with_tz": ts.replace("-", "").replace(":", "") if ts else None,
        "yesterday_ds": yesterday_ds,
        "yesterday_ds_nodash": _nodash(yesterday_ds),
        "tomorrow_ds": tomorrow_ds,
        "tomorrow_ds_nodash": _nodash(tomorrow_ds),
        "prev_execution_date": previous,
        "prev_ds": prev_ds,
        "prev_ds_nodash": _nodash(prev_ds),
        "next_execution_date": following,
        "next_ds": next_ds,
        "next_ds_nodash": _nodash(next_ds),
        "start_date": info.start_date,
        **_previous_success_keys(client, info),
        "test_mode": info.run_type == "test",
    }
    _run_keys_cache[id(info)] = (info, dag, keys)
    if len(_run_keys_cache) > _RUN_KEYS_CACHE_SIZE:
        _run_keys_cache.popitem(last=False)
    return keys


def _triggering_keys(client: RuntimeClient, info: RunInfo) -> dict[str, Any]:
    """``triggering_asset_events`` and its Airflow 2 name: one lazy load (cached per run by the client)."""
    if info.run_type != DagRunType.ASSET_TRIGGERED.value:
        load: Callable[[], Sequence[AssetEventInfo]] = list
    else:
        load = cache(lambda: client.triggering_asset_events(info.dag_id, info.run_id))
    return {
        "triggering_asset_events": TriggeringAssetEvents(load),
        "triggering_dataset_events": TriggeringAssetEvents(load, keys="uri"),
    }


def build_context(
    *,
    dag: Any,
    task: Any,
    ti: RuntimeTaskInstance,
    info: RunInfo,
    params: dict[str, Any],
    macros: Any,
    expanded_ti_count: int | None,
) -> dict[str, Any]:
    run_keys = _run_keys(dag, info, ti._client)
    ds_nodash = run_keys["ds_nodash"]
    context: dict[str, Any] = {
        "dag": dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "dag_run": DagRunView(info),
        **run_keys,
        "params": params,
        "macros": macros,
        "var": {"value": _VariableAccessor(False), "json": _VariableAccessor(True)},
        "conn": _ConnectionAccessor(),
        "task_instance_key_str": f"{ti.dag_id}__{ti.task_id}__{ds_nodash or ''}",
        "map_index_template": getattr(task, "map_index_template", None),
        "expanded_ti_count": expanded_ti_count,
        "try_number": ti.try_number,
        "inlets": list(getattr(task, "inlets", None) or []),
        "outlets": list(getattr(task, "outlets", None) or []),
        "inlet_events": {},
        "outlet_events": OutletEventAccessors(),
        **_triggering_keys(ti._client, info),
        "conf": None,
    }
    return context
