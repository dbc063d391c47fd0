"""console sessions can be ended: staff.session_epoch (log-out and a new password end copied cookies)

Revision ID: 0019_redteam_staff_sessions
Revises: 0018_agents
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_redteam_staff_sessions"
down_revision = "0018_agents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
