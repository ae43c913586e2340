"""``S3ToSnowflakeOperator``: ``COPY INTO`` a table from a stage over S3; mappable over ``s3_keys``.

Snowflake reads the files itself (the stage holds the S3 location and credentials); this module only writes
and runs the statement, as Airflow's operator does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from dagmap.providers.snowflake.hooks.snowflake import SnowflakeHook
from dagmap.sdk.baseoperator import BaseOperator

log = logging.getLogger("dagmap.task")


def enclose_param(value: str) -> str:
    """``value`` as a Snowflake string literal: ``it's`` -> ``'it''s'``."""
    return "'" + value.replace("'", "''") + "'"


def copy_into_sql(
    *,
    table: str,
    stage: str,
    file_format: str,
    s3_keys: Sequence[str] | None = None,
    schema: str | None = None,
    columns_array: Sequence[str] | None = None,
    prefix: str | None = None,
    pattern: str | None = None,
    copy_options: str | None = None,
    validation_mode: str | None = None,
) -> str:
    """The ``COPY INTO`` statement of Airflow's ``S3ToSnowflakeOperator``; keys are relative to the stage."""
    into = f"{schema}.{table}" if schema else table
    if columns_array:
        into = f"{into}({', '.join(columns_array)})"
    parts = [f"COPY INTO {into}", f"FROM @{stage}/{prefix or ''}"]
    if s3_keys:
        parts.append(f"files=({', '.join(enclose_param(key) for key in s3_keys)})")
    parts.append(f"file_format={file_format}")
    if pattern:
        parts.append(f"pattern={enclose_param(pattern)}")
    if copy_options:
        parts.append(copy_options)
    if validation_mode:
        parts.append(f"validation_mode={validation_mode}")
    return "\n".join(parts)


def _result(cursor: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = [str(column[0]).lower() for column in cursor.description or ()]
    return columns, list(cursor.fetchall()) if cursor.description is not None else []


class S3ToSnowflakeOperator(BaseOperator):
    """Loads ``s3_keys`` (or every file under ``prefix`` matching ``pattern``) from ``stage`` into ``table``.

    Returns the number of rows loaded (the ``rows_loaded`` column of the ``COPY`` result summed over the
    files; ``None`` with ``validation_mode``, whose result is logged). Snowflake remembers which files it
    loaded into a table, so a retried instance skips them (``LOAD_SKIPPED``) unless ``copy_options`` say
    ``FORCE = TRUE``. A single key may be given as a string.
    """

    template_fields = ("s3_keys", "table", "stage", "prefix", "schema", "pattern")
    ui_color = "#ededed"

    def __init__(
        self,
        *,
        s3_keys: str | Sequence[str] | None = None,
        table: str,
        stage: str,
        prefix: str | None = None,
        file_format: str,
        schema: str | None = None,
        columns_array: Sequence[str] | None = None,
        pattern: str | None = None,
        warehouse: str | None = None,
        database: str | None = None,
        autocommit: bool = True,
        snowflake_conn_id: str = SnowflakeHook.default_conn_name,
        role: str | None = None,
        authenticator: str | None = None,
        session_parameters: Mapping[str, Any] | None = None,
        copy_options: str | None = None,
        validation_mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.s3_keys = s3_keys
        self.table = table
        self.stage = stage
        self.prefix = prefix
        self.file_format = file_format
        self.schema = schema
        self.columns_array = columns_array
        self.pattern = pattern
        self.warehouse = warehouse
        self.database = database
        self.autocommit = autocommit
        self.snowflake_conn_id = snowflake_conn_id
        self.role = role
        self.authenticator = authenticator
        self.session_parameters = session_parameters
        self.copy_options = copy_options
        self.validation_mode = validation_mode

    def execute(self, context: dict[str, Any]) -> int | None:
        keys = [self.s3_keys] if isinstance(self.s3_keys, str) else self.s3_keys
        statement = copy_into_sql(
            table=self.table,
            stage=self.stage,
            file_format=self.file_format,
            s3_keys=keys,
            schema=self.schema,
            columns_array=self.columns_array,
            prefix=self.prefix,
            pattern=self.pattern,
            copy_options=self.copy_options,
            validation_mode=self.validation_mode,
        )
        hook = SnowflakeHook(
            self.snowflake_conn_id,
            warehouse=self.warehouse,
            database=self.database,
            role=self.role,
            schema=self.schema,
            authenticator=self.authenticator,
            session_parameters=self.session_parameters,
        )
        log.info("Executing COPY command...")
        columns, rows = hook.run(statement, self.autocommit, handler=_result, split_statements=False)
        for row in rows:
            log.info("COPY result: %s", dict(zip(columns, row, strict=False)))
        if self.validation_mode:
            return None
        if "rows_loaded" not in columns:
            return 0  # "Copy executed with 0 files processed."
        position = columns.index("rows_loaded")
        return sum(int(row[position] or 0) for row in rows)
