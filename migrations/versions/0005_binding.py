"""server-side party-page sessions (revocable; the cookie carries only an opaque token)

Revision ID: 0005_binding
Revises: 0004_identity_checks
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_binding"
down_revision = "0004_identity_checks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "party_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("party_ids", sa.JSON(), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("proven_phone", sa.String(length=20), nullable=True),
        sa.Column("pending_check_id", sa.Integer(), sa.ForeignKey("identity_check.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
    )
    op.create_index("ix_party_session_person_id", "party_session", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_party_session_person_id", table_name="party_session")
    op.drop_table("party_session")
