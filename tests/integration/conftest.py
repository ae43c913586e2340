"""Database fixtures for integration tests: every test runs on SQLite (a file) and on PostgreSQL.

PostgreSQL tests are marked ``postgres``; each gets a fresh, uniquely named database on 127.0.0.1:5432
(trust authentication), dropped afterwards. Deselect them with ``-m "not postgres"``.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from dagmap.config import reset_settings
from dagmap.model.spec import DagSpec, EdgeSpec, ExpandSpec, LiteralInput, TaskGroupSpec, TaskSpec, XComInput
from dagmap.store import db

POSTGRES_SERVER = "postgresql+psycopg://{user}@127.0.0.1:5432/{database}"
POSTGRES_ROLES = ("postgres", "root")

# tests/integration/services/manage_harness.py (a folder of DAG files; driving a run in-process) is importable
# as ``manage_harness`` from every integration test.
sys.path.insert(0, str(Path(__file__).resolve().parent / "services"))


def _admin_url() -> str:
    """A URL of the server's maintenance database with a role that trust authentication lets in."""
    errors = []
    for user in POSTGRES_ROLES:
        url = POSTGRES_SERVER.format(user=user, database="postgres")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text("select 1"))
            return url
        except Exception as error:  # try the next role
            errors.append(f"{user}: {error}")
        finally:
            engine.dispose()
    pytest.fail("no PostgreSQL role works on 127.0.0.1:5432: " + "; ".join(errors))


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    return _admin_url()


def _create_database(admin_url: str, *, template: str | None = None) -> str:
    name = f"dagmap_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    finally:
        admin.dispose()
    return name


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    """A migrated PostgreSQL database that each test copies (much faster than migrating every time)."""
    name = _create_database(postgres_admin_url)
    try:
        db.migrate(_url(postgres_admin_url, name))
        db.dispose_engines()  # a template must have no connections when it is copied
        yield name
    finally:
        db.dispose_engines()
        _drop_database(postgres_admin_url, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite_template") / "dagmap.db"
    url = f"sqlite:///{path}"
    db.migrate(url)
    db.dispose_engines()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    yield path


DATABASES = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every test using a database runs once on each; `-m "not postgres"` keeps only SQLite.
    if "database_kind" in metafunc.fixturenames:
        metafunc.parametrize("database_kind", DATABASES, indirect=True)


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(database_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL of an empty database (no tables): a SQLite file, or a fresh PostgreSQL database."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        db.dispose_engines()
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = _create_database(admin_url)
    try:
        yield _url(admin_url, name)
    finally:
        db.dispose_engines()
        _drop_database(admin_url, name)


@pytest.fixture
def db_url(
    database_kind: str,
    tmp_path: Path,
    dagmap_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    """A migrated database of the test's own that dagmap's settings point at.

    Sets ``DAGMAP__DATABASE__SQL_ALCHEMY_CONN``, resets settings and engines around the test. The schema is
    copied from a migrated template, then ``db.migrate`` runs (a no-op that checks the revision).
    """
    name: str | None = None
    admin_url = ""
    if database_kind == "sqlite":
        path = tmp_path / "dagmap.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        name = _create_database(admin_url, template=request.getfixturevalue("postgres_template"))
        url = _url(admin_url, name)
    monkeypatch.setenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", url)
    reset_settings()
    db.dispose_engines()
    try:
        db.migrate(url)
        yield url
    finally:
        db.dispose_engines()
        reset_settings()
        if name is not None:
            _drop_database(admin_url, name)


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    """The session factory of the test's database."""
    return db.session_factory(db_url)


class SpecBuilder:
    """Builds DagSpecs by hand (no SDK): tasks name their upstream; downstream lists are filled in."""

    @staticmethod
    def task(task_id: str, *upstream: str, **fields: object) -> TaskSpec:
        return TaskSpec(task_id=task_id, operator="PythonOperator", upstream_task_ids=tuple(upstream), **fields)  # type: ignore[arg-type]

    @staticmethod
    def dag(dag_id: str, *tasks: TaskSpec, groups: tuple[TaskGroupSpec, ...] = (), **fields: object) -> DagSpec:
        downstream: dict[str, list[str]] = {t.task_id: [] for t in tasks}
        for spec in tasks:
            for upstream in spec.upstream_task_ids:
                downstream[upstream].append(spec.task_id)
        done = tuple(t.model_copy(update={"downstream_task_ids": tuple(downstream[t.task_id])}) for t in tasks)
        edges = tuple(EdgeSpec(source=u, target=t.task_id) for t in tasks for u in t.upstream_task_ids)
        return DagSpec(
            dag_id=dag_id,
            fileloc=f"/dags/{dag_id}.py",
            tasks=done,
            task_groups=groups,
            edges=edges,
            **fields,  # type: ignore[arg-type]
        )

    @staticmethod
    def literal(*lengths: int) -> ExpandSpec:
        arguments = tuple((f"arg{i}", LiteralInput(length=n)) for i, n in enumerate(lengths))
        return ExpandSpec(kind="product", arguments=arguments)

    @staticmethod
    def over(task_id: str, key: str = "return_value") -> ExpandSpec:
        return ExpandSpec(kind="product", arguments=(("arg", XComInput(task_id=task_id, key=key)),))


@pytest.fixture
def specs() -> type[SpecBuilder]:
    return SpecBuilder
