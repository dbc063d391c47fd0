"""notify: outbox extras, staff pushes, SMS links, delivery reports, development inbox

Revision ID: 0003_notify
Revises: 0002_identity
Create Date: 2026-11-22 22:29:36.497608
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003_notify'
down_revision = "0002_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_push',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('court_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('case_ids', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['court_id'], ['court.id'], name=op.f('fk_notice_push_court_id_court')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_notice_push_created_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_push'))
    )
    with op.batch_alter_table('notice_push', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_push_court_id'), ['court_id'], unique=False)

    op.create_table('delivery_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('report_key', sa.String(length=64), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_delivery_report_notification_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_report')),
    sa.UniqueConstraint('report_key', name=op.f('uq_delivery_report_report_key'))
    )
    with op.batch_alter_table('delivery_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_report_notification_id'), ['notification_id'], unique=False)

    op.create_table('dev_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_dev_message_notification_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dev_message')),
    sa.UniqueConstraint('notification_id', name=op.f('uq_dev_message_notification_id'))
    )
    with op.batch_alter_table('dev_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dev_message_address'), ['address'], unique=False)

    op.create_table('sms_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_sms_link_document_id_document')),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_sms_link_notification_id_notification')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_sms_link_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sms_link_token_hash'))
    )
    with op.batch_alter_table('sms_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_link_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_link_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_link_party_id'), ['party_id'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('push_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_push_id'), ['push_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_notification_dedupe_key'), ['dedupe_key'])
        batch_op.create_foreign_key(batch_op.f('fk_notification_push_id_notice_push'), 'notice_push', ['push_id'], ['id'])

    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stage', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_service_record_next_check_at'), ['next_check_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_record_step_id_flow_step'), 'flow_step', ['step_id'], ['id'])

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('service_record', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_record_step_id_flow_step'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_record_next_check_at'))
        batch_op.drop_column('next_check_at')
        batch_op.drop_column('stage')
        batch_op.drop_column('step_id')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_push_id_notice_push'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_notification_dedupe_key'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_notification_push_id'))
        batch_op.drop_column('dedupe_key')
        batch_op.drop_column('push_id')

    with op.batch_alter_table('sms_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_link_party_id'))
        batch_op.drop_index(batch_op.f('ix_sms_link_notification_id'))
        batch_op.drop_index(batch_op.f('ix_sms_link_document_id'))

    op.drop_table('sms_link')
    with op.batch_alter_table('dev_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dev_message_address'))

    op.drop_table('dev_message')
    with op.batch_alter_table('delivery_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_report_notification_id'))

    op.drop_table('delivery_report')
    with op.batch_alter_table('notice_push', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_push_court_id'))

    op.drop_table('notice_push')
