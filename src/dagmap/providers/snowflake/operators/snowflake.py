"""``SnowflakeOperator``: :class:`SQLExecuteQueryOperator` on a Snowflake connection (Airflow's signature)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagmap.providers.snowflake.hooks.snowflake import SnowflakeHook
from dagmap.providers.sql.hook import Handler, fetch_all_handler
from dagmap.providers.sql.operators import SQLExecuteQueryOperator


class SnowflakeOperator(SQLExecuteQueryOperator):
    """Runs ``sql`` (a string, a ``.sql`` file, or a list) on Snowflake and returns the rows.

    A string holding several statements is split and run in order (``split_statements=True``, Airflow's
    default for Snowflake); the rows of the last one are returned unless ``return_last`` is false.
    """

    template_fields = ("conn_id", "sql", "parameters", "warehouse", "database", "role", "schema")
    ui_color = "#ededed"

    def __init__(
        self,
        *,
        sql: str | Sequence[str],
        snowflake_conn_id: str = SnowflakeHook.default_conn_name,
        parameters: Sequence[Any] | Mapping[str, Any] | None = None,
        warehouse: str | None = None,
        database: str | None = None,
        role: str | None = None,
        schema: str | None = None,
        authenticator: str | None = None,
        session_parameters: Mapping[str, Any] | None = None,
        autocommit: bool = False,
        handler: Handler | None = fetch_all_handler,
        split_statements: bool = True,
        return_last: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            sql=sql,
            conn_id=snowflake_conn_id,
            autocommit=autocommit,
            parameters=parameters,
            handler=handler,
            split_statements=split_statements,
            return_last=return_last,
            database=database,
            **kwargs,
        )
        self.snowflake_conn_id = snowflake_conn_id
        self.warehouse = warehouse
        self.role = role
        self.schema = schema
        self.authenticator = authenticator
        self.session_parameters = session_parameters

    def get_db_hook(self) -> SnowflakeHook:
        return SnowflakeHook(
            self.conn_id,
            warehouse=self.warehouse,
            database=self.database,
            role=self.role,
            schema=self.schema,
            authenticator=self.authenticator,
            session_parameters=self.session_parameters,
        )
