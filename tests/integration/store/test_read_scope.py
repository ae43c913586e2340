"""Read-only transactions (the API's GET requests) on SQLite never wait for the write lock that a scheduler or
worker holds, and see what was committed before them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from dagmap.store import db


def test_a_read_goes_on_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dagmap.db'}"
    db.migrate(url)
    try:
        with db.session_scope(url) as session:
            session.execute(text("INSERT INTO slot_pool (pool, slots) VALUES ('p', 3)"))
        writer = db.session_factory(url)()
        try:
            writer.execute(text("UPDATE slot_pool SET slots = 4 WHERE pool = 'p'"))  # BEGIN IMMEDIATE: holds the lock
            with db.read_scope(url) as reader:  # would wait busy_timeout (30 s), then fail, if it took the lock too
                assert reader.execute(text("SELECT slots FROM slot_pool WHERE pool = 'p'")).scalar() == 3
            writer.commit()
        finally:
            writer.close()
        with db.read_scope(url) as reader:
            assert reader.execute(text("SELECT slots FROM slot_pool WHERE pool = 'p'")).scalar() == 4
    finally:
        db.dispose_engines()


def test_the_runtime_client_reads_through_the_read_only_twin(tmp_path: Path) -> None:
    from dagmap.store.runtime_client import DirectRuntimeClient
    from dagmap.xcom.backends import xcom_storage_from_settings

    url = f"sqlite:///{tmp_path / 'dagmap.db'}"
    db.migrate(url)
    try:
        sessions = db.session_factory(url)
        client = DirectRuntimeClient(sessions, xcom_storage_from_settings())
        assert client._reads is db.read_session_factory(url) and client._reads is not sessions
        writer = sessions()
        try:
            writer.execute(text("INSERT INTO slot_pool (pool, slots) VALUES ('held', 1)"))  # holds the write lock
            assert client.dag_run_state("no_dag", "no_run") is None  # a read while the lock is held
        finally:
            writer.rollback()
            writer.close()
    finally:
        db.dispose_engines()
