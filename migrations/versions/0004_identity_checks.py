"""identity checks owned by one conversation or session; verified channel bindings

Revision ID: 0004_identity_checks
Revises: 0003_notify
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_identity_checks"
down_revision = "0003_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=True, unique=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_identity_check_person_id", "identity_check", ["person_id"])
    op.create_index("ix_identity_check_holder", "identity_check", ["holder"])
    with op.batch_alter_table("channel_binding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verified_by_check_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_channel_binding_check", "identity_check", ["verified_by_check_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("channel_binding", schema=None) as batch_op:
        batch_op.drop_constraint("fk_channel_binding_check", type_="foreignkey")
        batch_op.drop_column("verified_by_check_id")
        batch_op.drop_column("verified_at")
    op.drop_index("ix_identity_check_holder", table_name="identity_check")
    op.drop_index("ix_identity_check_person_id", table_name="identity_check")
    op.drop_table("identity_check")
