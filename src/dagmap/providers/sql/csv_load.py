"""Loading CSV bytes into a table by each database's bulk path: PostgreSQL COPY, DuckDB read_csv, else
batched INSERTs. All three agree: fields map to ``columns`` by position, an empty unquoted field is NULL."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from dagmap.errors import DagmapError

if TYPE_CHECKING:
    from dagmap.providers.sql.hook import SqlHook

COPY_CHUNK = 1 << 20
INSERT_BATCH = 1000


def copy_csv(
    hook: SqlHook,
    table: str,
    documents: Iterable[bytes],
    columns: Sequence[str] | None,
    header: bool,
    delimiter: str,
) -> int:
    """Load every CSV document into ``table`` in one transaction; returns the rows loaded."""
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise DagmapError(f"The CSV delimiter must be one character, not {delimiter!r}", argument="delimiter")
    load = {"postgresql": _copy_postgres, "duckdb": _copy_duckdb}.get(hook.dialect_name, _insert_generic)
    loaded = 0
    with hook.dbapi_connection() as conn:
        try:
            for data in documents:
                if data.strip():
                    loaded += load(hook, conn, table, data, columns, header, delimiter)
            hook.commit(conn)
        except BaseException:
            conn.rollback()
            raise
    hook.log.info("Loaded %d CSV rows into %s", loaded, table)
    return loaded


def _column_list(columns: Sequence[str] | None) -> str:
    return f" ({', '.join(columns)})" if columns else ""


def _copy_postgres(
    hook: SqlHook, conn: Any, table: str, data: bytes, columns: Sequence[str] | None, header: bool, delimiter: str
) -> int:
    from psycopg import sql

    statement = sql.SQL("COPY {table}{columns} FROM STDIN WITH (FORMAT csv, HEADER {header}, DELIMITER {delimiter})")
    query = statement.format(
        table=sql.SQL(table),
        columns=sql.SQL(_column_list(columns)),
        header=sql.SQL("true" if header else "false"),
        delimiter=sql.Literal(delimiter),
    )
    with conn.driver_connection.cursor() as cursor:
        with cursor.copy(query) as copy:
            view = memoryview(data)
            for start in range(0, len(view), COPY_CHUNK):
                copy.write(view[start : start + COPY_CHUNK])
        loaded: int = cursor.rowcount
    return loaded


def _copy_duckdb(
    hook: SqlHook, conn: Any, table: str, data: bytes, columns: Sequence[str] | None, header: bool, delimiter: str
) -> int:
    # Every field is read as text and cast by the INSERT to the column type, so the sniffer never guesses.
    statement = (
        f"INSERT INTO {table}{_column_list(columns)} SELECT * FROM read_csv(?, header = ?, delim = ?, "
        "quote = '\"', escape = '\"', all_varchar = true, allow_quoted_nulls = false)"
    )
    handle, path = tempfile.mkstemp(suffix=".csv", prefix="dagmap-copy-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        cursor = conn.cursor()
        try:
            cursor.execute(statement, [path, header, delimiter])
            row: Any = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        os.unlink(path)
    return int(row[0]) if row else 0


def _insert_generic(
    hook: SqlHook, conn: Any, table: str, data: bytes, columns: Sequence[str] | None, header: bool, delimiter: str
) -> int:
    # csv cannot tell "" from an empty unquoted field, so both become NULL here.
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    if header:
        next(reader, None)
    rows = [tuple(None if value == "" else value for value in record) for record in reader if record]
    if not rows:
        return 0
    marks = ", ".join(hook.placeholder.format(n=position) for position in range(1, len(rows[0]) + 1))
    statement = f"INSERT INTO {table}{_column_list(columns)} VALUES ({marks})"
    cursor = conn.cursor()
    try:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(statement, rows[start : start + INSERT_BATCH])
    finally:
        cursor.close()
    return len(rows)
