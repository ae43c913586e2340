"""``SQLExecuteQueryOperator``: run templated SQL on a connection's database and return the rows."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from dagmap.providers.sql.dialect_hooks import hook_for_connection
from dagmap.providers.sql.hook import Handler, SqlHook, fetch_all_handler
from dagmap.sdk.baseoperator import BaseOperator

log = logging.getLogger("dagmap.task")


def _plain(result: Any) -> Any:
    """Rows as lists of tuples whatever the driver's row class, so they serialize as XCom."""
    if isinstance(result, list):
        return [_plain(item) for item in result]
    if isinstance(result, tuple) or (result is not None and hasattr(result, "_fields")):
        return tuple(result)
    return result


class SQLExecuteQueryOperator(BaseOperator):
    """Runs ``sql`` (a string, a ``.sql`` file, or a list) and returns what ``handler`` makes of the cursor.

    With the default handler that is every row: a list of tuples for one statement, a list of such lists
    for a list of statements (see :meth:`SqlHook.run`).
    """

    template_fields: Sequence[str] = ("conn_id", "sql", "parameters")
    template_ext = (".sql",)
    template_fields_renderers = {"sql": "sql", "parameters": "json"}
    ui_color = "#cdaaed"

    def __init__(
        self,
        *,
        sql: str | Sequence[str],
        conn_id: str,
        autocommit: bool = False,
        parameters: Sequence[Any] | Mapping[str, Any] | None = None,
        handler: Handler | None = fetch_all_handler,
        split_statements: bool = False,
        return_last: bool = True,
        database: str | None = None,
        show_return_value_in_logs: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sql = sql
        self.conn_id = conn_id
        self.autocommit = autocommit
        self.parameters = parameters
        self.handler = handler
        self.split_statements = split_statements
        self.return_last = return_last
        self.database = database
        self.show_return_value_in_logs = show_return_value_in_logs

    def get_db_hook(self) -> SqlHook:
        """The hook ``execute`` runs the SQL with: the one for the connection's type."""
        return hook_for_connection(self.conn_id, schema=self.database)

    def execute(self, context: dict[str, Any]) -> Any:
        with self.get_db_hook() as hook:
            result = hook.run(
                self.sql if isinstance(self.sql, str) else list(self.sql),
                autocommit=self.autocommit,
                parameters=self.parameters,
                handler=self.handler if self.do_xcom_push else None,
                split_statements=self.split_statements,
                return_last=self.return_last,
            )
        if not self.do_xcom_push:
            return None
        if self.show_return_value_in_logs:
            log.info("Result: %s", result)
        return _plain(result)
