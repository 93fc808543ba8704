"""Educational activities: the catalog, each case's progress per activity key (with its append-only
status history and evidence submissions), sent reminders (unique per case, activity and threshold,
which is what keeps reminders from repeating), and plan completions.

Reviewed by hand: constraint names follow the naming convention in portal/extensions.py.

Revision ID: 0004_activities
Revises: 0003_messaging
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from portal.db_types import UTCDateTime

revision = "0004_activities"
down_revision = "0003_messaging"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity_catalog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('title_fr', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('elearning', 'workshop', 'course', 'coaching', 'reading', 'practice_audit', 'reflective_exercise', name='kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('estimated_hours', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('credits', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('factor_categories', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_activity_catalog_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_catalog'))
    )
    op.create_table('activity_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('activity_key', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'submitted', 'completed', 'returned', 'waived', name='status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.Column('completed_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_activity_progress_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_progress')),
    sa.UniqueConstraint('case_id', 'activity_key', name='uq_activity_progress_case_id_key')
    )
    op.create_table('activity_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('activity_key', sa.String(length=32), nullable=False),
    sa.Column('threshold', sa.Enum('due_soon', 'overdue', name='threshold', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('sent_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_activity_reminders_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_reminders')),
    sa.UniqueConstraint('case_id', 'activity_key', 'threshold', name='uq_activity_reminders_case_id_key')
    )
    op.create_table('activity_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('activity_key', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.Enum('not_started', 'in_progress', 'submitted', 'completed', 'returned', 'waived', name='from_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('to_status', sa.Enum('not_started', 'in_progress', 'submitted', 'completed', 'returned', 'waived', name='to_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_activity_status_changes_case_id_cases')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_activity_status_changes_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_status_changes'))
    )
    with op.batch_alter_table('activity_status_changes', schema=None) as batch_op:
        batch_op.create_index('ix_activity_status_changes_case_id_key', ['case_id', 'activity_key'], unique=False)

    op.create_table('activity_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('activity_key', sa.String(length=32), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('learned', sa.Text(), nullable=False),
    sa.Column('practice_change', sa.Text(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_activity_submissions_case_id_cases')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_activity_submissions_file_id_stored_files')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_activity_submissions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_submissions'))
    )
    with op.batch_alter_table('activity_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_activity_submissions_case_id_key', ['case_id', 'activity_key'], unique=False)

    op.create_table('plan_completions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('completed_by_id', sa.Integer(), nullable=False),
    sa.Column('completed_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_plan_completions_case_id_cases')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_plan_completions_completed_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_completions_version_id_plan_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_completions')),
    sa.UniqueConstraint('version_id', name=op.f('uq_plan_completions_version_id'))
    )


def downgrade():
    op.drop_table('plan_completions')
    with op.batch_alter_table('activity_submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_submissions_case_id_key')

    op.drop_table('activity_submissions')
    with op.batch_alter_table('activity_status_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_status_changes_case_id_key')

    op.drop_table('activity_status_changes')
    op.drop_table('activity_reminders')
    op.drop_table('activity_progress')
    op.drop_table('activity_catalog')
