"""Conversations between a member and the MSP team, on the member's case.

Messages are part of the medical-legal record: appended, never edited or deleted. The only thing
that changes on a message is its receipt (`seen_by_team_at`), set once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.cases.models import Case
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db
from portal.uploads.models import StoredFile


class MessageKind(StrEnum):
    MEMBER = "member"  # written by the member
    STAFF = "staff"  # a reply from the MSP team
    NOTE = "note"  # an internal note: staff only, never shown, counted or sent to the member


class Conversation(db.Model):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_case_id", "case_id"),
        Index("ix_conversations_assigned_to_id", "assigned_to_id"),
        Index("ix_conversations_reply_due_at", "reply_due_at"),
        Index("ix_conversations_last_message_at", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    subject: Mapped[str] = mapped_column(String(200))
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The oldest member message the team has not answered yet, and when the answer is due (the
    # response time in business days, fixed when the message arrived). None: nothing awaits.
    awaiting_reply_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The latest message from each side (no internal notes), kept by `post_message`: the unread
    # count compares them with the reader's marker instead of counting the thread's messages.
    # Plain ids, not foreign keys: a conversation is written before its first message.
    last_member_message_id: Mapped[int | None]
    last_staff_message_id: Mapped[int | None]

    case: Mapped[Case] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])

    @property
    def topic(self) -> str:
        """What notifications about this conversation are batched under."""
        return f"conversation:{self.id}"


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_kind_id", "conversation_id", "kind", "id"),
        # The latest page of a thread: both sides' messages, newest first, read in index order.
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # The program report's response times in a period: the waits that started in it.
        Index("ix_messages_wait_started_at", "wait_started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "message_kind"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Member messages: when someone of the MSP team first had it on screen (the member's receipt).
    seen_by_team_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Team replies: when the member's wait this reply answers began (their first message since the
    # team's previous reply); None when nothing was waiting. Kept by `post_message` so that the
    # program report's response times read one row per reply, not the whole history.
    wait_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    conversation: Mapped[Conversation] = relationship()
    author: Mapped[User] = relationship()
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id"
    )


class MessageAttachment(db.Model):
    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), unique=True)

    message: Mapped[Message] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()


class ConversationRead(db.Model):
    """How far each person has read a conversation: what is after it is unread for them."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    last_read_message_id: Mapped[int]
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CannedReply(db.Model):
    """A reply text kept by admins in English and French, which staff insert and then edit."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body_en: Mapped[str] = mapped_column(Text)
    body_fr: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def body_for(self, language: str | None) -> str:
        return self.body_fr if language == "fr" else self.body_en
