"""consent per party with decision, who recorded it and the paper scan; service records for pushes
and the exact version served

Revision ID: 0006_consent
Revises: 0016_face
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_consent"
down_revision = "0016_face"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("party_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision", sa.String(length=16), nullable=False, server_default="given"))
        batch_op.add_column(sa.Column("recorded_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("scan_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key("fk_consent_party_id_party", "party", ["party_id"], ["id"])
        batch_op.create_index("ix_consent_party_id", ["party_id"], unique=False)
    with op.batch_alter_table("service_record", schema=None) as batch_op:
        batch_op.alter_column("document_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("push_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("served_version_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_service_record_push_id_notice_push", "notice_push", ["push_id"], ["id"])
        batch_op.create_foreign_key("fk_service_record_served_version_id_document_version", "document_version",
                                    ["served_version_id"], ["id"])
        batch_op.create_index("ix_service_record_push_id", ["push_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_record", schema=None) as batch_op:
        batch_op.drop_index("ix_service_record_push_id")
        batch_op.drop_constraint("fk_service_record_served_version_id_document_version", type_="foreignkey")
        batch_op.drop_constraint("fk_service_record_push_id_notice_push", type_="foreignkey")
        batch_op.drop_column("served_version_id")
        batch_op.drop_column("push_id")
    op.execute("DELETE FROM service_record WHERE document_id IS NULL")
    with op.batch_alter_table("service_record", schema=None) as batch_op:
        batch_op.alter_column("document_id", existing_type=sa.Integer(), nullable=False)
    op.execute("DELETE FROM consent WHERE person_id IS NULL")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_party_id")
        batch_op.drop_constraint("fk_consent_party_id_party", type_="foreignkey")
        for column in ("withdrawn_by", "reason", "scan_key", "recorded_by", "decision", "party_id"):
            batch_op.drop_column(column)
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
