"""case lifecycle: when the status changed, and the archived electronic case file

Revision ID: 0014_case_lifecycle
Revises: 0013_webhooks
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_case_lifecycle"
down_revision = "0013_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archive_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("archive_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("archive_sha256")
        batch_op.drop_column("archive_key")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("status_changed_at")
