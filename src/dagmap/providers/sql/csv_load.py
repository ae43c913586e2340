"""Loading CSV bytes into a table by each database's bulk path: PostgreSQL COPY, DuckDB read_csv, else
batched INSERTs. All three agree: fields map to ``columns`` by position, an empty unquoted field is NULL."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dagmap.errors import DagmapError

if TYPE_CHECKING:
    from dagmap.providers.sql.hook import SqlHook

COPY_CHUNK = 1 << 20


def copy_csv(
    hook: SqlHook, table: str, data: bytes, columns: Sequence[str] | None, header: bool, delimiter: str
) -> int:
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise DagmapError(f"The CSV delimiter must be one character, not {delimiter!r}", argument="delimiter")
    if not data.strip():
        return 0
    column_list = f" ({', '.join(columns)})" if columns else ""
    dialect = hook.dialect_name
    if dialect == "postgresql":
        loaded = _copy_postgres(hook, table, data, column_list, header, delimiter)
    elif dialect == "duckdb":
        loaded = _copy_duckdb(hook, table, data, column_list, header, delimiter)
    else:
        loaded = _copy_generic(hook, table, data, columns, header, delimiter)
    hook.log.info("Loaded %d CSV rows into %s", loaded, table)
    return loaded


def _copy_postgres(hook: SqlHook, table: str, data: bytes, column_list: str, header: bool, delimiter: str) -> int:
    from psycopg import sql

    statement = sql.SQL("COPY {table}{columns} FROM STDIN WITH (FORMAT csv, HEADER {header}, DELIMITER {delimiter})")
    query = statement.format(
        table=sql.SQL(table),
        columns=sql.SQL(column_list),
        header=sql.SQL("true" if header else "false"),
        delimiter=sql.Literal(delimiter),
    )
    with hook.dbapi_connection() as conn:
        try:
            with conn.driver_connection.cursor() as cursor:
                with cursor.copy(query) as copy:
                    view = memoryview(data)
                    for start in range(0, len(view), COPY_CHUNK):
                        copy.write(view[start : start + COPY_CHUNK])
                loaded: int = cursor.rowcount
            hook.commit(conn)
        except BaseException:
            conn.rollback()
            raise
    return loaded


def _copy_duckdb(hook: SqlHook, table: str, data: bytes, column_list: str, header: bool, delimiter: str) -> int:
    # Every field is read as text and cast by the INSERT to the column type, so the sniffer never guesses.
    statement = (
        f"INSERT INTO {table}{column_list} SELECT * FROM read_csv(?, header = ?, delim = ?, quote = '\"', "
        "escape = '\"', all_varchar = true, allow_quoted_nulls = false)"
    )
    handle, path = tempfile.mkstemp(suffix=".csv", prefix="dagmap-copy-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        with hook.dbapi_connection() as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(statement, [path, header, delimiter])
                row: Any = cursor.fetchone()
                hook.commit(conn)
            except BaseException:
                conn.rollback()
                raise
            finally:
                cursor.close()
    finally:
        os.unlink(path)
    return int(row[0]) if row else 0


def _copy_generic(
    hook: SqlHook, table: str, data: bytes, columns: Sequence[str] | None, header: bool, delimiter: str
) -> int:
    # csv cannot tell "" from an empty unquoted field, so both become NULL here.
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    if header:
        next(reader, None)
    rows = (tuple(None if value == "" else value for value in record) for record in reader if record)
    return hook.insert_rows(table, rows, target_fields=columns)
