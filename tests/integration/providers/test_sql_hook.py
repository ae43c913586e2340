"""SqlHook on PostgreSQL (a schema of its own), SQLite and DuckDB files: the same behaviour on all three."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dagmap.connections import Connection, redact
from dagmap.errors import DagmapError
from dagmap.providers.sql import (
    DuckDBHook,
    PostgresHook,
    SqlHook,
    SqliteHook,
    csv_load,
    fetch_all_handler,
    hook_for_connection,
)

BACKENDS = [pytest.param("postgres", marks=pytest.mark.postgres), "sqlite", "duckdb"]


@pytest.fixture(params=BACKENDS)
def conn_id(request: pytest.FixtureRequest, define_connection: Callable[[Connection], str], tmp_path: Path) -> str:
    conn_id = f"sql_{request.param}_{uuid.uuid4().hex[:8]}"
    if request.param == "postgres":
        schema = request.getfixturevalue("postgres_schema")
        connection = Connection(
            conn_id,
            "postgres",
            host="127.0.0.1",
            schema="test",
            login="postgres",
            port=5432,
            extra={"options": f"-c search_path={schema}", "application_name": "dagmap-tests"},
        )
    else:
        connection = Connection(conn_id, request.param, host=str(tmp_path / f"data.{request.param}"))
    return define_connection(connection)


@pytest.fixture
def hook(conn_id: str) -> Iterator[SqlHook]:
    with hook_for_connection(conn_id) as sql_hook:
        yield sql_hook


@pytest.fixture
def table(hook: SqlHook) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:10]}"
    hook.run(f"CREATE TABLE {name} (id INTEGER, name VARCHAR(100), score DOUBLE PRECISION)")
    yield name
    hook.run(f"DROP TABLE {name}")


def _count(hook: SqlHook, table: str) -> int:
    return int(hook.get_first(f"SELECT COUNT(*) FROM {table}")[0])


def test_hook_class_follows_the_connection_type(hook: SqlHook, conn_id: str) -> None:
    expected = {"postgres": PostgresHook, "sqlite": SqliteHook, "duckdb": DuckDBHook}[conn_id.split("_")[1]]
    assert type(hook) is expected
    assert hook.dialect_name in {"postgresql", "sqlite", "duckdb"}


def test_records_first_and_parameters(hook: SqlHook, table: str) -> None:
    mark = hook.placeholder.format(n=1)
    hook.run(f"INSERT INTO {table} VALUES (1, 'a', 0.5)")
    hook.run(f"INSERT INTO {table} VALUES (2, 'b', 1.5)")
    assert hook.get_records(f"SELECT id, name FROM {table} ORDER BY id") == [(1, "a"), (2, "b")]
    assert hook.get_first(f"SELECT name FROM {table} WHERE id = {mark}", parameters=(2,)) == ("b",)
    assert hook.get_first(f"SELECT name FROM {table} WHERE id = 99") is None
    assert hook.get_records(f"SELECT * FROM {table} WHERE id > 5") == []


def test_run_results_follow_airflow_shapes(hook: SqlHook, table: str) -> None:
    insert = f"INSERT INTO {table} VALUES (1, 'a', 1.0)"
    assert hook.run(insert) is None
    one = f"SELECT id FROM {table}"
    assert hook.run(one, handler=fetch_all_handler) == [(1,)]
    assert hook.run([one, one], handler=fetch_all_handler) == [[(1,)], [(1,)]]
    script = f"{insert}; -- a comment; with a semicolon\nSELECT COUNT(*) FROM {table};"
    assert hook.run(script, split_statements=True, handler=fetch_all_handler) == [(2,)]
    both = hook.run(script, split_statements=True, handler=fetch_all_handler, return_last=False)
    assert len(both) == 2 and both[1] == [(3,)]  # DuckDB's INSERT returns a row count, others nothing


def test_statements_share_one_transaction_unless_autocommit(hook: SqlHook, table: str) -> None:
    statements = [f"INSERT INTO {table} VALUES (1, 'a', 1.0)", "INSERT INTO no_such_table VALUES (1)"]
    with pytest.raises(Exception, match="no_such_table"):
        hook.run(statements)
    assert _count(hook, table) == 0
    with pytest.raises(Exception, match="no_such_table"):
        hook.run(statements, autocommit=True)
    assert _count(hook, table) == 1


@pytest.mark.postgres
def test_autocommit_runs_what_a_transaction_cannot(define_connection: Callable[[Connection], str]) -> None:
    conn_id = define_connection(Connection("pg_vacuum", "postgres", "127.0.0.1", "test", "postgres", port=5432))
    with PostgresHook(conn_id) as hook:
        with pytest.raises(Exception, match="transaction block"):
            hook.run("VACUUM pg_catalog.pg_class")
        hook.run("VACUUM pg_catalog.pg_class", autocommit=True)
        assert hook.get_first("SELECT 1") == (1,)  # the pooled connection is usable again


def test_insert_rows_in_batches(hook: SqlHook, table: str) -> None:
    rows = [(number, f"n{number}", number / 2) for number in range(25)]
    assert hook.insert_rows(table, rows, commit_every=10) == 25
    assert hook.insert_rows(table, [("x", 100)], target_fields=["name", "id"]) == 1
    assert _count(hook, table) == 26
    assert hook.get_first(f"SELECT id, name, score FROM {table} WHERE id = 100") == (100, "x", None)


def test_pandas_dataframe(hook: SqlHook, table: str) -> None:
    hook.insert_rows(table, [(1, "a", 0.5), (2, "b", 1.5)])
    mark = hook.placeholder.format(n=1)
    frame = hook.get_pandas_df(f"SELECT id, name, score FROM {table} WHERE id >= {mark} ORDER BY id", parameters=(1,))
    assert list(frame.columns) == ["id", "name", "score"]
    assert frame["name"].tolist() == ["a", "b"]
    assert frame["score"].sum() == 2.0


CSV = b'id,name,score\n1,plain,1.5\n2,"with, comma",2.5\n3,"quote ""q"" and\nnewline",\n4,"",0\n'


def test_copy_csv_from_bytes(hook: SqlHook, table: str) -> None:
    assert hook.copy_csv_from_bytes(table, CSV) == 4
    rows = hook.get_records(f"SELECT id, name, score FROM {table} ORDER BY id")
    assert rows[:3] == [(1, "plain", 1.5), (2, "with, comma", 2.5), (3, 'quote "q" and\nnewline', None)]
    # A quoted empty field is an empty string in PostgreSQL and DuckDB; the csv module cannot tell.
    assert rows[3] == (4, None if hook.dialect_name == "sqlite" else "", 0.0)


def test_copy_csv_without_header_with_columns_and_delimiter(
    hook: SqlHook, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_load, "COPY_CHUNK", 5)  # PostgreSQL gets the data in many pieces
    data = "".join(f"name{number};{number}\n" for number in range(200)).encode()
    assert hook.copy_csv_from_bytes(table, data, columns=["name", "id"], header=False, delimiter=";") == 200
    assert _count(hook, table) == 200
    assert hook.get_first(f"SELECT id, name, score FROM {table} WHERE id = 199") == (199, "name199", None)
    assert hook.copy_csv_from_bytes(table, b"") == 0


def test_copy_csv_failure_loads_nothing(hook: SqlHook, table: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - each database words it differently
        hook.copy_csv_from_bytes(table, b"id,name,score\n1,a,1\n2,b,2,one-field-too-many\n")
    assert _count(hook, table) == 0
    with pytest.raises(DagmapError, match="delimiter"):
        hook.copy_csv_from_bytes(table, CSV, delimiter=";;")


def test_password_of_the_connection_is_masked_once_fetched(define_connection: Callable[[Connection], str]) -> None:
    conn_id = define_connection(Connection("pw_db", "postgres", "h", "db", "u", "pw-for-masking"))
    hook = PostgresHook(conn_id)
    assert "pw-for-masking" in hook.get_uri()
    assert "pw-for-masking" not in redact(hook.get_uri())


def test_several_csv_documents_load_in_one_transaction(hook: SqlHook, table: str) -> None:
    good = [b"id,name,score\n1,a,1\n", b"", b"id,name,score\n2,b,2\n3,c,3\n"]
    assert hook.copy_csv_from_bytes(table, iter(good)) == 3
    bad = [b"id,name,score\n4,d,4\n", b"id,name,score\n5,e,5,one-field-too-many\n"]
    with pytest.raises(Exception):  # noqa: B017 - each database words it differently
        hook.copy_csv_from_bytes(table, bad)
    assert hook.get_records(f"SELECT id FROM {table} ORDER BY id") == [(1,), (2,), (3,)]
