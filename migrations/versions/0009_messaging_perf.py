"""Messaging at scale: each conversation keeps the id of its latest member message and of its
latest team reply, so that the unread count in the navigation compares them with the reader's
marker instead of counting years of messages; and messages by conversation and id, so that the
latest page of a thread (members' and team's messages, newest first) reads only its own rows.

The new columns are filled from the messages already there (one indexed look-up per conversation,
plain SQL for SQLite and PostgreSQL). Reviewed by hand: index names follow the naming convention in
portal/extensions.py.

Revision ID: 0009_messaging_perf
Revises: 0008_page_indexes
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_messaging_perf"
down_revision = "0008_page_indexes"
branch_labels = None
depends_on = None

LATEST = {"last_member_message_id": "member", "last_staff_message_id": "staff"}


def upgrade():
    with op.batch_alter_table("conversations") as batch:
        for column in LATEST:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
    # Built before the backfill, which reads it.
    op.create_index(
        "ix_messages_conversation_id_id", "messages", ["conversation_id", "id"], unique=False
    )
    for column, kind in LATEST.items():
        op.execute(
            f"UPDATE conversations SET {column} = ("  # the names are the constants above
            "SELECT max(messages.id) FROM messages "
            f"WHERE messages.conversation_id = conversations.id AND messages.kind = '{kind}')"
        )


def downgrade():
    op.drop_index("ix_messages_conversation_id_id", table_name="messages")
    with op.batch_alter_table("conversations") as batch:
        for column in reversed(list(LATEST)):
            batch.drop_column(column)
