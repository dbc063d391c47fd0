"""identity: keep the latest face check's result and provider log id on the person

Revision ID: 0002_identity
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_identity"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("face_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("face_result", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("face_log_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("face_log_id")
        batch_op.drop_column("face_result")
        batch_op.drop_column("face_checked_at")
