"""``S3ToSqlOperator``: load CSV objects from S3 into a table, each instance its list of keys, atomically.

Mappable over ``s3_keys``: ``S3ToSqlOperator.partial(table=..., ...).expand(s3_keys=batches)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from dagmap.providers.amazon.hooks.s3 import S3Hook
from dagmap.providers.sql.dialect_hooks import hook_for_connection
from dagmap.sdk.baseoperator import BaseOperator

log = logging.getLogger("dagmap.task")


class S3ToSqlOperator(BaseOperator):
    """Loads every CSV object in ``s3_keys`` into ``table`` in one transaction; returns the rows loaded.

    Keys are relative to ``s3_bucket``, or full ``s3://`` URLs when it is not given. The load uses the
    database's bulk path (:meth:`SqlHook.copy_csv_from_bytes`): a retried instance never loads twice.
    """

    template_fields = ("s3_keys", "table", "s3_bucket", "columns")
    ui_color = "#ededed"

    def __init__(
        self,
        *,
        s3_keys: str | Sequence[str],
        table: str,
        sql_conn_id: str,
        s3_bucket: str | None = None,
        aws_conn_id: str | None = "aws_default",
        columns: Sequence[str] | None = None,
        header: bool = True,
        delimiter: str = ",",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.s3_keys = s3_keys
        self.table = table
        self.sql_conn_id = sql_conn_id
        self.s3_bucket = s3_bucket
        self.aws_conn_id = aws_conn_id
        self.columns = columns
        self.header = header
        self.delimiter = delimiter

    def execute(self, context: dict[str, Any]) -> int:
        keys = [self.s3_keys] if isinstance(self.s3_keys, str) else list(self.s3_keys)
        s3 = S3Hook(aws_conn_id=self.aws_conn_id)

        def documents() -> Iterator[bytes]:
            for key in keys:
                log.info("Loading %s", key if self.s3_bucket is None else f"s3://{self.s3_bucket}/{key}")
                yield s3.read_key_bytes(key, self.s3_bucket)

        with hook_for_connection(self.sql_conn_id) as sql:
            loaded = sql.copy_csv_from_bytes(
                self.table, documents(), columns=self.columns, header=self.header, delimiter=self.delimiter
            )
        log.info("Loaded %d rows from %d objects into %s", loaded, len(keys), self.table)
        return loaded
