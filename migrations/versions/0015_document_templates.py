"""document templates kept by each court

Revision ID: 0015_document_templates
Revises: 0014_case_lifecycle
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_document_templates"
down_revision = "0014_case_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_template",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("court_id", sa.Integer(), sa.ForeignKey("court.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("court_id", "name"),
    )
    op.create_index("ix_document_template_court_id", "document_template", ["court_id"])


def downgrade() -> None:
    op.drop_index("ix_document_template_court_id", table_name="document_template")
    op.drop_table("document_template")
