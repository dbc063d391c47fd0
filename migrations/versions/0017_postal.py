"""service by post, public notice, direct service or leaving at the address (CPL arts. 88–95)

Revision ID: 0017_postal
Revises: 0006_consent
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_postal"
down_revision = "0006_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "other_service",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("party.id"), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id"), nullable=False),
        sa.Column("service_record_id", sa.Integer(), sa.ForeignKey("service_record.id"), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("tracking_number", sa.String(length=32), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("published_in", sa.String(length=200), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("abroad", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("witnesses", sa.JSON(), nullable=False),
        sa.Column("scan_key", sa.String(length=200), nullable=True),
        sa.Column("scan_sha256", sa.String(length=64), nullable=True),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("party_id", "document_id", name="uq_other_service_party_id_document_id"),
        sa.UniqueConstraint("service_record_id", name="uq_other_service_service_record_id"),
    )
    op.create_index("ix_other_service_case_id", "other_service", ["case_id"])
    op.create_index("ix_other_service_party_id", "other_service", ["party_id"])
    op.create_index("ix_other_service_document_id", "other_service", ["document_id"])


def downgrade() -> None:
    op.drop_table("other_service")
