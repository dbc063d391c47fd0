"""seal control: several seals per court, the seal register, approval rules, staff signatures, refusal notes

Revision ID: 0008_seal
Revises: 0015_document_templates
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_seal"
down_revision = "0015_document_templates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("court_id", sa.Integer(), sa.ForeignKey("court.id"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("p12_path", sa.String(length=500), nullable=True),
        sa.Column("p12_password_env", sa.String(length=100), nullable=True),
        sa.Column("image_key", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seal_court_id", "seal", ["court_id"])
    op.create_table(
        "seal_use",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("court_id", sa.Integer(), sa.ForeignKey("court.id"), nullable=True),
        sa.Column("seal_id", sa.Integer(), sa.ForeignKey("seal.id"), nullable=True),
        sa.Column("seal_name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id"), nullable=True),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("document_version.id"), nullable=True),
        sa.Column("step_id", sa.Integer(), sa.ForeignKey("flow_step.id"), nullable=True),
        sa.Column("approval_step_id", sa.Integer(), sa.ForeignKey("flow_step.id"), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("cert_fingerprint", sa.String(length=64), nullable=False),
    )
    for col in ("court_id", "seal_id", "code", "case_id", "document_id", "sha256"):
        op.create_index(f"ix_seal_use_{col}", "seal_use", [col])
    with op.batch_alter_table("court", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval_kinds", sa.JSON(), nullable=True))
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature_image_key", sa.String(length=200), nullable=True))
    with op.batch_alter_table("signing_flow", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_signing_flow_seal", "seal", ["seal_id"], ["id"])
    with op.batch_alter_table("flow_step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_flow_step_note_version", "document_version", ["note_version_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("flow_step", schema=None) as batch_op:
        batch_op.drop_constraint("fk_flow_step_note_version", type_="foreignkey")
        batch_op.drop_column("note_version_id")
    with op.batch_alter_table("signing_flow", schema=None) as batch_op:
        batch_op.drop_constraint("fk_signing_flow_seal", type_="foreignkey")
        batch_op.drop_column("seal_id")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("signature_image_key")
    with op.batch_alter_table("court", schema=None) as batch_op:
        batch_op.drop_column("approval_kinds")
    for col in ("court_id", "seal_id", "code", "case_id", "document_id", "sha256"):
        op.drop_index(f"ix_seal_use_{col}", table_name="seal_use")
    op.drop_table("seal_use")
    op.drop_index("ix_seal_court_id", table_name="seal")
    op.drop_table("seal")
