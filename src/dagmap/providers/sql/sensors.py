"""``SqlSensor`` (``airflow.providers.common.sql.sensors.sql``): poke with a SQL query until it says so."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from dagmap.errors import DagmapError
from dagmap.providers.sql.dialect_hooks import hook_for_connection
from dagmap.providers.sql.hook import Parameters, SqlHook
from dagmap.sensors.base import BaseSensorOperator

log = logging.getLogger("dagmap.task")


class SqlSensor(BaseSensorOperator):
    """Runs ``sql`` at each poke and looks at ``selector(first row)`` (the first cell by default).

    ``failure(value)`` true fails the task; then ``success(value)`` decides, or else the value's truth. No
    row pokes again, or fails with ``fail_on_empty``. ``failure`` / ``success`` must be callables.
    """

    template_fields: Sequence[str] = ("sql", "hook_params", "parameters")
    template_ext: Sequence[str] = (".hql", ".sql")
    ui_color = "#7c7287"

    def __init__(
        self,
        *,
        conn_id: str,
        sql: str,
        parameters: Parameters = None,
        success: Callable[[Any], bool] | None = None,
        failure: Callable[[Any], bool] | None = None,
        selector: Callable[[tuple[Any, ...]], Any] = itemgetter(0),
        fail_on_empty: bool = False,
        hook_params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self.sql = sql
        self.parameters = parameters
        self.success = success
        self.failure = failure
        self.selector = selector
        self.fail_on_empty = fail_on_empty
        self.hook_params = dict(hook_params or {})

    def _get_hook(self) -> SqlHook:
        return hook_for_connection(self.conn_id, schema=self.hook_params.get("schema"))

    def poke(self, context: dict[str, Any]) -> bool:
        hook = self._get_hook()
        try:
            log.info("Poking: %s (with parameters %s)", self.sql, self.parameters)
            records = hook.get_records(self.sql, self.parameters)
        finally:
            hook.dispose()
        if not records:
            if self.fail_on_empty:
                raise DagmapError("No rows returned, raising as per fail_on_empty flag", task_id=self.task_id)
            return False
        value = self.selector(records[0])
        if self.failure is not None:
            if not callable(self.failure):
                raise DagmapError(f"self.failure is present, but not callable -> {self.failure!r}")
            if self.failure(value):
                raise DagmapError(f"Failure criteria met. self.failure({value!r}) returned True")
        if self.success is not None:
            if not callable(self.success):
                raise DagmapError(f"self.success is present, but not callable -> {self.success!r}")
            return bool(self.success(value))
        return bool(value)
