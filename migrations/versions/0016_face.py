"""separate consent to face checks (Face Recognition Measures 2025)

Revision ID: 0016_face
Revises: 0008_seal
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_face"
down_revision = "0008_seal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_consent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("text_shown", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_face_consent_person_id", "face_consent", ["person_id"])
    op.create_index("ix_face_consent_holder", "face_consent", ["holder"])


def downgrade() -> None:
    op.drop_index("ix_face_consent_holder", table_name="face_consent")
    op.drop_index("ix_face_consent_person_id", table_name="face_consent")
    op.drop_table("face_consent")
