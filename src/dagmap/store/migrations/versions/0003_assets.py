"""assets: asset, asset_event, asset_dag_run_queue, dag_schedule_asset_reference, task_outlet_asset_reference,
dagrun_asset_event (data-aware scheduling)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dagmap.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, dagmap.store.types.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uri", sa.String(length=1500), nullable=False),
        sa.Column("name", sa.String(length=1500), nullable=False),
        sa.Column("group", sa.String(length=1500), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("uri", name=op.f("uq_asset_uri")),
    )
    op.create_table(
        "asset_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        _when("timestamp"),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("source_dag_id", sa.String(length=250), nullable=True),
        sa.Column("source_task_id", sa.String(length=250), nullable=True),
        sa.Column("source_run_id", sa.String(length=250), nullable=True),
        sa.Column("source_map_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_event_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_event")),
    )
    with op.batch_alter_table("asset_event", schema=None) as batch_op:
        batch_op.create_index("ix_asset_event_asset_id_timestamp", ["asset_id", "timestamp"], unique=False)
    op.create_table(
        "asset_dag_run_queue",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("target_dag_id", sa.String(length=250), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_dag_run_queue_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("asset_id", "target_dag_id", name=op.f("pk_asset_dag_run_queue")),
    )
    op.create_table(
        "dag_schedule_asset_reference",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_dag_schedule_asset_reference_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("asset_id", "dag_id", name=op.f("pk_dag_schedule_asset_reference")),
    )
    with op.batch_alter_table("dag_schedule_asset_reference", schema=None) as batch_op:
        batch_op.create_index("ix_dag_schedule_asset_reference_dag_id", ["dag_id"], unique=False)
    op.create_table(
        "task_outlet_asset_reference",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=False),
        sa.Column("task_id", sa.String(length=250), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_task_outlet_asset_reference_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("asset_id", "dag_id", "task_id", name=op.f("pk_task_outlet_asset_reference")),
    )
    with op.batch_alter_table("task_outlet_asset_reference", schema=None) as batch_op:
        batch_op.create_index("ix_task_outlet_asset_reference_dag_id", ["dag_id"], unique=False)
    op.create_table(
        "dagrun_asset_event",
        sa.Column("dag_run_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dag_run_id"], ["dag_run.id"], name=op.f("fk_dagrun_asset_event_dag_run_id_dag_run"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["asset_event.id"],
            name=op.f("fk_dagrun_asset_event_event_id_asset_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dag_run_id", "event_id", name=op.f("pk_dagrun_asset_event")),
    )
    with op.batch_alter_table("dagrun_asset_event", schema=None) as batch_op:
        batch_op.create_index("ix_dagrun_asset_event_event_id", ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dagrun_asset_event", schema=None) as batch_op:
        batch_op.drop_index("ix_dagrun_asset_event_event_id")
    op.drop_table("dagrun_asset_event")
    with op.batch_alter_table("task_outlet_asset_reference", schema=None) as batch_op:
        batch_op.drop_index("ix_task_outlet_asset_reference_dag_id")
    op.drop_table("task_outlet_asset_reference")
    with op.batch_alter_table("dag_schedule_asset_reference", schema=None) as batch_op:
        batch_op.drop_index("ix_dag_schedule_asset_reference_dag_id")
    op.drop_table("dag_schedule_asset_reference")
    op.drop_table("asset_dag_run_queue")
    with op.batch_alter_table("asset_event", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_event_asset_id_timestamp")
    op.drop_table("asset_event")
    op.drop_table("asset")
