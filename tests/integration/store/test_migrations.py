"""Migrations produce exactly the ORM schema, on SQLite and PostgreSQL, and go back down cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dagmap.store import db
from dagmap.store.orm import Base


def _diff(url: str) -> list[object]:
    with db.get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_head_gives_exactly_the_orm_schema(empty_db_url: str) -> None:
    db.migrate(empty_db_url)
    assert _diff(empty_db_url) == []
    assert db.is_migrated(empty_db_url)


def test_migrate_is_idempotent_and_downgrade_base_removes_everything(empty_db_url: str) -> None:
    db.migrate(empty_db_url)
    db.migrate(empty_db_url)
    db.reset(empty_db_url)  # downgrade base, then upgrade head again
    assert _diff(empty_db_url) == []
    from alembic import command

    engine = db.get_engine(empty_db_url)
    with engine.begin() as connection:
        config = db._alembic_config(empty_db_url)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
