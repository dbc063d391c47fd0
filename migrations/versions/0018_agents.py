"""organisations as parties (unified social credit code) and agents acting for parties

Revision ID: 0018_agents
Revises: 0017_postal
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_agents"
down_revision = "0017_postal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="person"))
        batch_op.add_column(sa.Column("uscc", sa.String(length=18), nullable=True))
        batch_op.create_index("ix_party_uscc", ["uscc"], unique=False)
    op.create_table(
        "agent_authority",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("principal_party_id", sa.Integer(), sa.ForeignKey("party.id"), nullable=False),
        sa.Column("agent_party_id", sa.Integer(), sa.ForeignKey("party.id"), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("poa_key", sa.String(length=200), nullable=True),
        sa.Column("poa_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_agent_authority_case_id", "agent_authority", ["case_id"])
    op.create_index("ix_agent_authority_principal_party_id", "agent_authority", ["principal_party_id"])
    op.create_index("ix_agent_authority_agent_party_id", "agent_authority", ["agent_party_id"])
    with op.batch_alter_table("service_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_by_person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agent_authority_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("acted_for", sa.String(length=300), nullable=True))
        batch_op.create_foreign_key("fk_service_record_signed_by_person_id_person", "person",
                                    ["signed_by_person_id"], ["id"])
        batch_op.create_foreign_key("fk_service_record_agent_authority_id_agent_authority", "agent_authority",
                                    ["agent_authority_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("service_record", schema=None) as batch_op:
        batch_op.drop_constraint("fk_service_record_agent_authority_id_agent_authority", type_="foreignkey")
        batch_op.drop_constraint("fk_service_record_signed_by_person_id_person", type_="foreignkey")
        for column in ("acted_for", "agent_authority_id", "signed_by_person_id"):
            batch_op.drop_column(column)
    op.drop_index("ix_agent_authority_agent_party_id", table_name="agent_authority")
    op.drop_index("ix_agent_authority_principal_party_id", table_name="agent_authority")
    op.drop_index("ix_agent_authority_case_id", table_name="agent_authority")
    op.drop_table("agent_authority")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_index("ix_party_uscc")
        batch_op.drop_column("uscc")
        batch_op.drop_column("kind")
