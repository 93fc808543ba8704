"""Secure messaging: conversations on a case between its member and the MSP team.

Plain functions: they add to the session and leave the commit to the caller, so that a message,
its attachments' rows, its audit event and its notification emails are committed together or not
at all. Conversations are loaded only through `get_conversation_for` (and attachments through
`get_attachment_for`), which answer 404 for what the user may not see, using the cases' own
visibility rules. Internal notes are filtered out for members in every query that reads messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import Integer, Select, and_, exists, func, literal, or_, select, union_all, update
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from portal import clock
from portal.audit.services import record, record_denied
from portal.auth.models import Role, User
from portal.cases.models import Case, CaseTeamMember
from portal.cases.services import (
    ensure_case_open,
    record_contact,
    touch,
    visible_cases,
    worklist_case_ids,
)
from portal.db_types import contains_pattern
from portal.extensions import db
from portal.messaging.models import (
    CannedReply,
    Conversation,
    ConversationRead,
    Message,
    MessageAttachment,
    MessageKind,
)
from portal.notifications.services import mark_topic_seen, notify
from portal.transactions import upsert
from portal.uploads.services import CheckedUpload, store_upload

THREAD_PAGE_SIZE = 50
UNREAD_COUNT_LIMIT = 100  # the navigation shows "99+" from here
INBOX_FILTERS = ("unassigned", "mine", "awaiting", "overdue")


# --- Who sees what -------------------------------------------------------------------------------


def visible_kinds(user: User) -> tuple[MessageKind, ...]:
    """Members never see internal notes."""
    if user.is_staff:
        return tuple(MessageKind)
    return (MessageKind.MEMBER, MessageKind.STAFF)


def unread_kind(user: User) -> MessageKind:
    """What counts as unread for `user`: messages from the other side (never notes)."""
    return MessageKind.MEMBER if user.is_staff else MessageKind.STAFF


def _conversations_with_cases() -> Select:
    """Conversations with their case and member loaded, not yet limited to anyone's cases."""
    return (
        select(Conversation)
        .join(Conversation.case)
        .options(
            contains_eager(Conversation.case).joinedload(Case.member),
            joinedload(Conversation.assigned_to),
        )
    )


def conversations_query_for(user: User) -> Select:
    """Conversations of the cases `user` may see, with their case and member loaded."""
    return _conversations_with_cases().where(*visible_cases(user))


def get_conversation_for(user: User, conversation_id: int) -> Conversation:
    """The conversation if `user` may see its case; otherwise 404 (and the refusal is audited)."""
    conversation = db.session.scalar(
        conversations_query_for(user)
        .where(Conversation.id == conversation_id)
        .options(contains_eager(Conversation.case).joinedload(Case.lead_advisor))
    )
    if conversation is None:
        record_denied(
            "conversation.not_visible", object_type="conversation", object_id=conversation_id
        )
        abort(404)
    return conversation


def get_attachment_for(user: User, attachment_id: int) -> MessageAttachment:
    """The attachment if `user` may see its message (members: not on an internal note)."""
    attachment = db.session.scalar(
        select(MessageAttachment)
        .join(MessageAttachment.message)
        .join(Message.conversation)
        .join(Conversation.case)
        .where(
            MessageAttachment.id == attachment_id,
            Message.kind.in_(visible_kinds(user)),
            *visible_cases(user),
        )
        .options(
            joinedload(MessageAttachment.file),
            contains_eager(MessageAttachment.message)
            .contains_eager(Message.conversation)
            .contains_eager(Conversation.case),
        )
    )
    if attachment is None:
        record_denied("attachment.not_visible", object_type="attachment", object_id=attachment_id)
        abort(404)
    return attachment


# --- The response-time clock --------------------------------------------------------------------


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` business days (Monday to Friday, in the portal's time zone). A message
    sent on a weekend starts the clock on Monday at 00:00. Public holidays are not known."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = start.astimezone(zone)
    if local.weekday() >= 5:
        local = (local + timedelta(days=7 - local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    added = 0
    while added < days:
        local += timedelta(days=1)
        if local.weekday() < 5:
            added += 1
    return local.astimezone(UTC)


def reply_due(since: datetime) -> datetime:
    return add_business_days(since, current_app.config["MESSAGING_RESPONSE_BUSINESS_DAYS"])


def is_overdue(conversation: Conversation, now: datetime) -> bool:
    return conversation.reply_due_at is not None and conversation.reply_due_at < now


# --- Writing ------------------------------------------------------------------------------------


def _case_team(case: Case) -> list[User]:
    """The lead advisor and the case team, active accounts only."""
    on_team = select(CaseTeamMember.staff_id).where(CaseTeamMember.case_id == case.id)
    return list(
        db.session.scalars(
            select(User)
            .where(
                or_(User.id == case.lead_advisor_id, User.id.in_(on_team)),
                User.active.is_(True),
                User.role.in_([Role.STAFF, Role.ADMIN]),
            )
            .order_by(User.id)
        )
    )


def _recipients(conversation: Conversation, message: Message) -> list[User]:
    if message.kind is MessageKind.NOTE:
        return []  # internal notes notify nobody
    if message.kind is MessageKind.STAFF:
        return [conversation.case.member]
    assignee = conversation.assigned_to
    if assignee is not None and assignee.active:
        return [assignee]
    return _case_team(conversation.case)


def post_message(
    conversation: Conversation,
    *,
    author: User,
    kind: MessageKind,
    body: str,
    uploads: list[CheckedUpload] = (),
) -> Message:
    """Append a message (or an internal note) with its attachments, move the response-time clock,
    audit it and notify the other side. May raise UploadStorageError: the caller rolls back.
    A member cannot write on a closed case (CaseClosed)."""
    if kind is MessageKind.MEMBER:
        ensure_case_open(conversation.case)
    now = clock.now()
    message = Message(
        conversation_id=conversation.id, author_id=author.id, kind=kind, body=body, created_at=now
    )
    db.session.add(message)
    db.session.flush()
    for upload in uploads:
        stored = store_upload(upload, uploaded_by=author)
        db.session.flush()
        db.session.add(MessageAttachment(message_id=message.id, file_id=stored.id))
    if kind is MessageKind.MEMBER:
        if conversation.awaiting_reply_since is None:
            conversation.awaiting_reply_since = now
            conversation.reply_due_at = reply_due(now)
    else:
        # What the writer had in front of them is seen; a member message that arrived since is
        # not, and keeps (or restarts) the response-time clock.
        seen_up_to = _last_read_message_id(conversation.id, author.id)
        _mark_seen_by_team(conversation.id, now, up_to=seen_up_to)
        if kind is MessageKind.STAFF:
            message.wait_started_at = _wait_started_at(conversation, before=message.id)
            _restart_clock_after(conversation, seen_up_to)
    if kind is MessageKind.NOTE:
        touch(conversation.case)
    else:
        conversation.last_message_at = now
        if kind is MessageKind.MEMBER:
            conversation.last_member_message_id = message.id
        else:
            conversation.last_staff_message_id = message.id
        record_contact(conversation.case)
    record(
        "note.added" if kind is MessageKind.NOTE else "message.sent",
        actor=author,
        object_type="message",
        object_id=message.id,
        case_id=conversation.case_id,
        detail=f"conversation {conversation.id}; {len(uploads)} attachment(s)",
    )
    for recipient in _recipients(conversation, message):
        if recipient.id != author.id:
            notify(
                recipient,
                topic=conversation.topic,
                endpoint="messaging.show",
                conversation_id=conversation.id,
            )
    return message


def start_conversation(
    case: Case, *, author: User, subject: str, body: str, uploads: list[CheckedUpload] = ()
) -> Conversation:
    """A new conversation on `case`, opened by its member or by staff, with its first message."""
    now = clock.now()
    conversation = Conversation(
        case_id=case.id,
        subject=subject.strip(),
        started_by_id=author.id,
        created_at=now,
        last_message_at=now,
    )
    conversation.case = case
    db.session.add(conversation)
    db.session.flush()
    record(
        "conversation.started",
        actor=author,
        object_type="conversation",
        object_id=conversation.id,
        case_id=case.id,
    )
    kind = MessageKind.STAFF if author.is_staff else MessageKind.MEMBER
    post_message(conversation, author=author, kind=kind, body=body, uploads=uploads)
    return conversation


def assignee_choices(conversation: Conversation) -> list[User]:
    """Who a conversation can be given to: the case's team, and admins (who see every case)."""
    # One IN over a union, not an OR of three conditions: each part then reads an index (the
    # team's key, users by role) instead of the whole users table.
    candidates = union_all(
        select(literal(conversation.case.lead_advisor_id, Integer)),
        select(CaseTeamMember.staff_id).where(CaseTeamMember.case_id == conversation.case_id),
        select(User.id).where(User.role == Role.ADMIN),
    )
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.id.in_(candidates))
            .order_by(User.name, User.id)
        )
    )


def assign(conversation: Conversation, assignee: User | None, *, by: User) -> None:
    if conversation.assigned_to_id == (assignee.id if assignee else None):
        return
    conversation.assigned_to = assignee
    record(
        "conversation.assigned",
        actor=by,
        object_type="conversation",
        object_id=conversation.id,
        case_id=conversation.case_id,
        detail=f"to user {assignee.id}" if assignee else "unassigned",
    )
    if assignee is not None and assignee.id != by.id:
        notify(
            assignee,
            topic=conversation.topic,
            endpoint="messaging.show",
            conversation_id=conversation.id,
        )


def mark_no_reply_needed(conversation: Conversation, *, by: User) -> None:
    """Stop the response-time clock without a reply (e.g. the member only said thank you)."""
    if conversation.awaiting_reply_since is None:
        return
    seen_up_to = _last_read_message_id(conversation.id, by.id)
    _mark_seen_by_team(conversation.id, clock.now(), up_to=seen_up_to)
    _restart_clock_after(conversation, seen_up_to)
    record(
        "conversation.no_reply_needed",
        actor=by,
        object_type="conversation",
        object_id=conversation.id,
        case_id=conversation.case_id,
    )


# --- Reading ------------------------------------------------------------------------------------


@dataclass
class ThreadPage:
    """One page of a thread, oldest first. Page 1 holds the latest messages."""

    messages: list[Message]
    page: int
    has_older: bool

    @property
    def has_newer(self) -> bool:
        return self.page > 1


def thread_page(conversation: Conversation, user: User, page: str | int | None) -> ThreadPage:
    """A page of the messages `user` may see, with authors and attachments: two queries,
    whatever the length of the thread."""
    try:
        number = min(max(1, int(page or 1)), 100_000)
    except (TypeError, ValueError):
        number = 1
    newest_first = list(
        db.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.kind.in_(visible_kinds(user)),
            )
            .options(
                joinedload(Message.author),
                selectinload(Message.attachments).joinedload(MessageAttachment.file),
            )
            .order_by(Message.id.desc())
            .offset((number - 1) * THREAD_PAGE_SIZE)
            .limit(THREAD_PAGE_SIZE + 1)
        )
    )
    has_older = len(newest_first) > THREAD_PAGE_SIZE
    return ThreadPage(
        messages=list(reversed(newest_first[:THREAD_PAGE_SIZE])), page=number, has_older=has_older
    )


def _last_read_message_id(conversation_id: int, user_id: int) -> int | None:
    """The last message `user_id` has had on screen in this conversation; None when they never
    opened it here (a reply made outside the page, e.g. by a service or the demo, sees all)."""
    return db.session.scalar(
        select(ConversationRead.last_read_message_id).where(
            ConversationRead.conversation_id == conversation_id,
            ConversationRead.user_id == user_id,
        )
    )


def _wait_started_at(conversation: Conversation, *, before: int) -> datetime | None:
    """When the member's first message since the team's previous reply was written: the wait a
    reply written now answers (None when the member has written nothing since). The previous
    reply is read under a lock of the conversation's row: of two replies sent at once, the second
    waits for the first and answers no wait, so one wait is never counted twice."""
    previous_reply = db.session.scalar(
        select(Conversation.last_staff_message_id)
        .where(Conversation.id == conversation.id)
        .with_for_update()
    )
    return db.session.scalar(
        select(func.min(Message.created_at)).where(
            Message.conversation_id == conversation.id,
            Message.kind == MessageKind.MEMBER,
            Message.id > (previous_reply or 0),
            Message.id < before,
        )
    )


def _restart_clock_after(conversation: Conversation, seen_up_to: int | None) -> None:
    """Stop the clock, unless a member message arrived after what the team member saw: then it
    runs from the oldest such message."""
    if seen_up_to is None:
        conversation.awaiting_reply_since = None
        conversation.reply_due_at = None
        return
    unseen = db.session.scalar(
        select(Message.created_at)
        .where(
            Message.conversation_id == conversation.id,
            Message.kind == MessageKind.MEMBER,
            Message.id > seen_up_to,
        )
        .order_by(Message.id)
        .limit(1)
    )
    conversation.awaiting_reply_since = unseen
    conversation.reply_due_at = reply_due(unseen) if unseen else None


def _mark_seen_by_team(
    conversation_id: int, now: datetime, message_ids=None, *, up_to: int | None = None
) -> None:
    conditions = [
        Message.conversation_id == conversation_id,
        Message.kind == MessageKind.MEMBER,
        Message.seen_by_team_at.is_(None),
    ]
    if message_ids is not None:
        conditions.append(Message.id.in_(message_ids))
    if up_to is not None:
        conditions.append(Message.id <= up_to)
    db.session.execute(
        update(Message)
        .where(*conditions)
        .values(seen_by_team_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _advance_read_marker(conversation_id: int, user_id: int, message_id: int, now) -> None:
    """Move `user_id`'s read marker forward to `message_id` (never back), race-free."""
    db.session.execute(
        upsert(
            ConversationRead,
            {
                "conversation_id": conversation_id,
                "user_id": user_id,
                "last_read_message_id": message_id,
                "read_at": now,
            },
            key=["conversation_id", "user_id"],
            update=["last_read_message_id", "read_at"],
            only_if=lambda excluded: (
                ConversationRead.last_read_message_id < excluded.last_read_message_id
            ),
        )
    )


def record_view(conversation: Conversation, user: User, thread: ThreadPage) -> None:
    """`user` has the page of `thread` on screen: audit it, mark it read, give the member their
    receipts (when staff view), and drop the notification emails it would otherwise cause."""
    now = clock.now()
    record(
        "conversation.viewed",
        actor=user,
        object_type="conversation",
        object_id=conversation.id,
        case_id=conversation.case_id,
        detail=f"page {thread.page}",
    )
    if not thread.messages:
        return
    _advance_read_marker(conversation.id, user.id, thread.messages[-1].id, now)
    if user.is_staff:
        shown = [m.id for m in thread.messages if m.kind is MessageKind.MEMBER]
        if shown:
            _mark_seen_by_team(conversation.id, now, shown)
    if thread.page == 1:
        mark_topic_seen(user, conversation.topic)


def _unread_messages(user: User) -> Select:
    read = and_(
        ConversationRead.conversation_id == Message.conversation_id,
        ConversationRead.user_id == user.id,
    )
    return (
        select(func.count(Message.id))
        .select_from(Message)
        .outerjoin(ConversationRead, read)
        .where(
            Message.kind == unread_kind(user),
            Message.id > func.coalesce(ConversationRead.last_read_message_id, 0),
        )
    )


def _latest_unread_kind_id(user: User):
    """The conversation's column holding its latest message of `unread_kind(user)`."""
    if user.is_staff:
        return Conversation.last_member_message_id
    return Conversation.last_staff_message_id


def unread_count_for(user: User) -> int:
    """Unread messages for `user` across every conversation on their worklist, in one query: for a
    member, the team's replies; for staff, members' messages. Internal notes never count.

    Counted up to UNREAD_COUNT_LIMIT (the navigation shows "99+" beyond): only conversations whose
    latest message from the other side is past the reader's marker are opened, and the count stops
    there, so it costs the same with years of messages (an admin's worklist is every case)."""
    read = and_(
        ConversationRead.conversation_id == Conversation.id,
        ConversationRead.user_id == user.id,
    )
    marker = func.coalesce(ConversationRead.last_read_message_id, 0)
    unread = (
        select(Message.id)
        .select_from(Conversation)
        .outerjoin(ConversationRead, read)
        .join(
            Message,
            and_(
                Message.conversation_id == Conversation.id,
                Message.kind == unread_kind(user),
                Message.id > marker,
            ),
        )
        .where(_latest_unread_kind_id(user) > marker)
        .limit(UNREAD_COUNT_LIMIT)
    )
    case_ids = worklist_case_ids(user)
    if case_ids is not None:
        unread = unread.where(Conversation.case_id.in_(case_ids))
    return db.session.scalar(select(func.count()).select_from(unread.subquery())) or 0


def unread_by_conversation(user: User, conversation_ids: list[int]) -> dict[int, int]:
    """Unread counts for conversations already known to be visible to `user` (one query)."""
    if not conversation_ids:
        return {}
    query = (
        _unread_messages(user)
        .add_columns(Message.conversation_id)
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
    )
    return {conversation_id: count for count, conversation_id in db.session.execute(query)}


def inbox_query(user: User, *, show: str | None, search: str | None, now: datetime) -> Select:
    """The team inbox: conversations of the cases on `user`'s worklist (which they may all see),
    filtered and searched."""
    query = _conversations_with_cases()
    case_ids = worklist_case_ids(user)
    if case_ids is not None:
        # By the ids of the worklist's cases: their conversations are then read by case, where a
        # condition on each case would read every conversation to count the pages.
        query = query.where(Conversation.case_id.in_(case_ids))
    if show == "unassigned":
        query = query.where(Conversation.assigned_to_id.is_(None))
    elif show == "mine":
        query = query.where(Conversation.assigned_to_id == user.id)
    elif show == "awaiting":
        query = query.where(Conversation.awaiting_reply_since.is_not(None))
    elif show == "overdue":
        query = query.where(Conversation.reply_due_at < now)
    if search and search.strip():
        pattern = contains_pattern(search.strip())
        in_messages = exists().where(
            Message.conversation_id == Conversation.id, Message.body.ilike(pattern, escape="\\")
        )
        # Correlated, so that only the members of the cases in view are read, by primary key.
        member = aliased(User)
        by_member = exists().where(
            member.id == Case.member_id, member.name.ilike(pattern, escape="\\")
        )
        query = query.where(
            or_(Conversation.subject.ilike(pattern, escape="\\"), in_messages, by_member)
        )
    if show in ("awaiting", "overdue"):
        return query.order_by(Conversation.reply_due_at, Conversation.id)
    return query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())


def member_conversations_query(user: User) -> Select:
    return conversations_query_for(user).order_by(
        Conversation.last_message_at.desc(), Conversation.id.desc()
    )


def transcript_messages(conversation: Conversation, user: User) -> list[Message]:
    """The whole thread `user` may see, oldest first (for the download): two queries."""
    return list(
        db.session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation.id,
                Message.kind.in_(visible_kinds(user)),
            )
            .options(
                joinedload(Message.author),
                selectinload(Message.attachments).joinedload(MessageAttachment.file),
            )
            .order_by(Message.id)
        )
    )


# --- Canned replies -----------------------------------------------------------------------------


def canned_replies() -> list[CannedReply]:
    return list(db.session.scalars(select(CannedReply).order_by(CannedReply.title)))


def save_canned_reply(
    canned: CannedReply | None, *, title: str, body_en: str, body_fr: str, by: User
) -> CannedReply:
    if canned is None:
        canned = CannedReply()
        db.session.add(canned)
    canned.title = title.strip()
    canned.body_en = body_en.strip()
    canned.body_fr = body_fr.strip()
    canned.updated_at = clock.now()
    canned.updated_by_id = by.id
    db.session.flush()
    record("canned_reply.saved", actor=by, object_type="canned_reply", object_id=canned.id)
    return canned


def delete_canned_reply(canned: CannedReply, *, by: User) -> None:
    record("canned_reply.deleted", actor=by, object_type="canned_reply", object_id=canned.id)
    db.session.delete(canned)


def with_canned_text(draft: str | None, canned: CannedReply, language: str | None) -> str:
    """The reply being written, with the canned text added after what is already there."""
    text = canned.body_for(language)
    draft = (draft or "").rstrip()
    return f"{draft}\n\n{text}" if draft else text
