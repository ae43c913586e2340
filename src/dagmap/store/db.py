"""Engines and sessions for the metadata database, and schema migration (Alembic) entry points.

SQLite runs in WAL mode with a busy timeout so that the scheduler, workers and the API can share one file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.orm import Session, sessionmaker

from dagmap.config import get_settings

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}
_read_factories: dict[str, sessionmaker[Session]] = {}
_read_twins: dict[int, sessionmaker[Session]] = {}
READ_ONLY = "dagmap_read_only"
"""Execution option of the engine behind ``read_session_factory``."""


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _on_sqlite_connect)

        # pysqlite's own transaction handling defers BEGIN; take the write lock up front instead so that
        # concurrent writers wait on busy_timeout rather than failing with "database is locked" mid-way.
        # Sessions that only read (``read_scope``) start a plain deferred BEGIN: under WAL they never wait for
        # nor hold up a writer.
        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            read_only = conn.get_execution_options().get(READ_ONLY)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    settings = get_settings()
    return create_engine(
        url,
        echo=echo,
        pool_size=settings.database.sql_alchemy_pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().sql_alchemy_conn
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url, echo=get_settings().database.echo)
            _engines[url] = engine
            _factories[url] = sessionmaker(engine, expire_on_commit=False)
            _read_factories[url] = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
            _read_twins[id(_factories[url])] = _read_factories[url]
        return engine


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    url = url or get_settings().sql_alchemy_conn
    get_engine(url)
    return _factories[url]


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def read_session_factory(url: str | None = None) -> sessionmaker[Session]:
    """Sessions for transactions that only read (the API's GET requests): on SQLite they do not take the
    write lock, so a UI polling every few seconds never holds up the scheduler. Never write through them."""
    url = url or get_settings().sql_alchemy_conn
    get_engine(url)
    return _read_factories[url]


def read_twin(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The read-only factory on the same database as ``sessions`` (a ``session_factory``), or ``sessions``
    itself when it is not one of this module's factories."""
    with _lock:
        return _read_twins.get(id(sessions), sessions)


@contextmanager
def read_scope(url: str | None = None) -> Iterator[Session]:
    """One read-only transaction, rolled back when the block ends."""
    session = read_session_factory(url)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def dispose_engines() -> None:
    """Close every pooled connection (tests, and child processes after fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()
        _read_factories.clear()
        _read_twins.clear()


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str | None = None) -> None:
    """Bring the database schema to the newest revision (idempotent)."""
    from alembic import command

    url = url or get_settings().sql_alchemy_conn
    engine = get_engine(url)
    with engine.begin() as connection:
        config = _alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def reset(url: str | None = None) -> None:
    """Drop every table (data included) and migrate again."""
    from alembic import command

    url = url or get_settings().sql_alchemy_conn
    engine = get_engine(url)
    with engine.begin() as connection:
        config = _alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    migrate(url)


def display_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def is_migrated(url: str | None = None) -> bool:
    """Whether the database has dagmap's tables (a SQLite file that does not exist is not created)."""
    url = url or get_settings().sql_alchemy_conn
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        return False
    engine = get_engine(url)
    return "alembic_version" in inspect(engine).get_table_names()
