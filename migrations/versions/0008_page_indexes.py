"""Indexes for the pages' queries that no index served (tests/app/test_query_plans.py finds them):
staff and admin pick lists and the accounts page (users by role, name, id), the program report's
period (cases by referral date), the outbox page, newest first, whether a plan version has member
input (plan inputs by version), and audit events by subject (the case timeline), by outcome and by
action prefix (the audit trail's filters).

Reviewed by hand: index names follow the naming convention in portal/extensions.py.

Revision ID: 0008_page_indexes
Revises: 0007_email_change
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008_page_indexes"
down_revision = "0007_email_change"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_users_role_name_id", "users", ["role", "name", "id"], {}),
    ("ix_cases_referred_at", "cases", ["referred_at"], {}),
    ("ix_outbox_emails_created_at_id", "outbox_emails", ["created_at", "id"], {}),
    ("ix_plan_inputs_version_id", "plan_inputs", ["version_id"], {}),
    ("ix_audit_events_object_type_object_id", "audit_events", ["object_type", "object_id"], {}),
    ("ix_audit_events_outcome_occurred_at", "audit_events", ["outcome", "occurred_at"], {}),
    (
        "ix_audit_events_action_occurred_at",
        "audit_events",
        ["action", "occurred_at"],
        # LIKE 'case.%' can use the index whatever the database's collation.
        {"postgresql_ops": {"action": "varchar_pattern_ops"}},
    ),
]


def upgrade():
    for name, table, columns, options in INDEXES:
        op.create_index(name, table, columns, unique=False, **options)


def downgrade():
    for name, table, _columns, _options in reversed(INDEXES):
        op.drop_index(name, table_name=table)
