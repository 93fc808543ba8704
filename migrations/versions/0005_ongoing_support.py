"""Ongoing support: check-ins and members' requests to reschedule them, break-glass access to cases,
closing a case, the last contact on a case (for the no-contact flag), calendar invitations in the
outbox, and each user's time zone.

Reviewed by hand: constraint names follow the naming convention in portal/extensions.py; existing
cases take their last activity as their last contact.

Revision ID: 0005_ongoing_support
Revises: 0004_activities
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from portal.db_types import UTCDateTime

revision = "0005_ongoing_support"
down_revision = "0004_activities"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_break_glass_accesses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_break_glass_accesses_case_id_cases')),
    sa.ForeignKeyConstraint(['staff_id'], ['users.id'], name=op.f('fk_case_break_glass_accesses_staff_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_break_glass_accesses'))
    )
    with op.batch_alter_table('case_break_glass_accesses', schema=None) as batch_op:
        batch_op.create_index('ix_case_break_glass_accesses_granted_at', ['granted_at'], unique=False)
        batch_op.create_index('ix_case_break_glass_accesses_staff_id_case_id_expires_at', ['staff_id', 'case_id', 'expires_at'], unique=False)

    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('scheduled_at', UTCDateTime(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.Enum('phone', 'video', 'in_person', name='check_in_mode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('cadence_weeks', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('scheduled', 'held', 'missed', 'cancelled', name='check_in_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('calendar_uid', sa.String(length=255), nullable=False),
    sa.Column('calendar_sequence', sa.Integer(), nullable=False),
    sa.Column('scheduled_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('reminded_at', UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', UTCDateTime(), nullable=True),
    sa.Column('outcome_recorded_at', UTCDateTime(), nullable=True),
    sa.Column('outcome_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('internal_notes', sa.Text(), nullable=True),
    sa.Column('member_summary', sa.Text(), nullable=True),
    sa.Column('plan_change', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_check_ins_case_id_cases')),
    sa.ForeignKeyConstraint(['outcome_recorded_by_id'], ['users.id'], name=op.f('fk_check_ins_outcome_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['scheduled_by_id'], ['users.id'], name=op.f('fk_check_ins_scheduled_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins')),
    sa.UniqueConstraint('calendar_uid', name=op.f('uq_check_ins_calendar_uid'))
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index('ix_check_ins_case_id_scheduled_at', ['case_id', 'scheduled_at'], unique=False)
        batch_op.create_index('ix_check_ins_status_scheduled_at', ['status', 'scheduled_at'], unique=False)

    op.create_table('check_in_reschedule_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_in_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('preferred_times', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('resolved_at', UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['check_in_id'], ['check_ins.id'], name=op.f('fk_check_in_reschedule_requests_check_in_id_check_ins')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_check_in_reschedule_requests_requested_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_check_in_reschedule_requests_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_reschedule_requests'))
    )
    with op.batch_alter_table('check_in_reschedule_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_reschedule_requests_check_in_id'), ['check_in_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_contact_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closing_summary', sa.Text(), nullable=True))
        batch_op.create_index('ix_cases_last_contact_at', ['last_contact_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_closed_by_id_users'), 'users', ['closed_by_id'], ['id'])

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_ics', sa.Text(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))

    with op.batch_alter_table('case_stage_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))

    op.execute("UPDATE cases SET last_contact_at = last_activity_at")



def downgrade():
    with op.batch_alter_table('case_stage_changes', schema=None) as batch_op:
        batch_op.drop_column('note')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('calendar_ics')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_cases_last_contact_at')
        batch_op.drop_column('closing_summary')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('last_contact_at')

    with op.batch_alter_table('check_in_reschedule_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_reschedule_requests_check_in_id'))

    op.drop_table('check_in_reschedule_requests')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_check_ins_status_scheduled_at')
        batch_op.drop_index('ix_check_ins_case_id_scheduled_at')

    op.drop_table('check_ins')
    with op.batch_alter_table('case_break_glass_accesses', schema=None) as batch_op:
        batch_op.drop_index('ix_case_break_glass_accesses_staff_id_case_id_expires_at')
        batch_op.drop_index('ix_case_break_glass_accesses_granted_at')

    op.drop_table('case_break_glass_accesses')
