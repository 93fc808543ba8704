"""The program report's response times at scale: each team reply keeps when the member's wait it
answers began (`messages.wait_started_at`: the member's first message since the team's previous
reply, None when nothing was waiting), so that the report reads one row per reply instead of
numbering every message of every conversation; indexed for the report's periods.

The replies already there are filled from their conversations' history by the rule `post_message`
follows (plain SQL for SQLite and PostgreSQL, two indexed look-ups per reply). Reviewed by hand:
the index name follows the naming convention in portal/extensions.py.

Revision ID: 0010_reply_waits
Revises: 0009_messaging_perf
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from portal.db_types import UTCDateTime

revision = "0010_reply_waits"
down_revision = "0009_messaging_perf"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE messages SET wait_started_at = (
    SELECT min(waiting.created_at) FROM messages AS waiting
    WHERE waiting.conversation_id = messages.conversation_id
      AND waiting.kind = 'member'
      AND waiting.id < messages.id
      AND waiting.id > coalesce((
          SELECT max(previous.id) FROM messages AS previous
          WHERE previous.conversation_id = messages.conversation_id
            AND previous.kind = 'staff'
            AND previous.id < messages.id
      ), 0)
)
WHERE messages.kind = 'staff'
"""


def upgrade():
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("wait_started_at", UTCDateTime(), nullable=True))
    op.execute(BACKFILL)
    op.create_index("ix_messages_wait_started_at", "messages", ["wait_started_at"], unique=False)


def downgrade():
    op.drop_index("ix_messages_wait_started_at", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("wait_started_at")
