"""dag_callback_request: DAG-level callbacks the DAG processor runs when a run ends

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 02:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dagmap.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dag_callback_request",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("fileloc", sa.Text(), nullable=False),
        sa.Column("is_failure", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", dagmap.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", dagmap.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=500), nullable=True),
        sa.Column("finished_at", dagmap.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dag_callback_request")),
    )
    with op.batch_alter_table("dag_callback_request", schema=None) as batch_op:
        batch_op.create_index("ix_dag_callback_request_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dag_callback_request", schema=None) as batch_op:
        batch_op.drop_index("ix_dag_callback_request_state")
    op.drop_table("dag_callback_request")
