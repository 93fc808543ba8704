"""A case's whole story, newest first: a few queries, merged here.

Sources that grow without bound over the years (messages, activity changes, audit events) are read
`PAGE_SIZE + 1` rows at a time, older than a cursor (`before`), one query each; the small ones (the
referral, versions, check-ins, stage changes, break-glass openings) are read whole, together in one
query, and cut at the same cursor. The page ends at
the PAGE_SIZE-th newest entry (with any entry of the very same time), and "Older" continues from
there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from portal.activities.models import StatusChange
from portal.assessment.models import AssessmentVersion, VersionStatus
from portal.audit.models import AuditEvent, Outcome
from portal.auth.models import User
from portal.cases.models import BreakGlassAccess, Case, Stage, StageChange
from portal.checkins.models import CheckIn
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.messaging.models import Conversation, Message
from portal.plan.models import Goal, PlannedActivity, PlanVersion

PAGE_SIZE = 50

KINDS = (
    "referral",  # referral, invitations, invitation accepted
    "assessment",  # versions released
    "responses",  # the member's perspectives, acknowledgements and plan input
    "plan",  # versions shared, agreed, approved, activated
    "activities",  # activity status changes
    "messages",
    "checkins",
    "stage",  # stage changes, closing and reopening
    "access",  # break-glass openings
)

# Audit actions the timeline shows, by kind (the other sources have tables of their own).
AUDITED = {
    "account.invitation_sent": "referral",
    "account.invitation_accepted": "referral",
    "assessment.perspective_added": "responses",
    "assessment.acknowledged": "responses",
    "plan.input_added": "responses",
    "check_in.rescheduled": "checkins",
    "check_in.reschedule_requested": "checkins",
    "check_in.reschedule_declined": "checkins",
}


@dataclass
class Entry:
    at: datetime
    kind: str
    event: str  # what happened; the template words it
    who: str | None = None
    values: dict = field(default_factory=dict)


@dataclass
class Timeline:
    entries: list[Entry]
    older: datetime | None  # the cursor of the next page; None when nothing is older


def parse_before(value: str | None) -> datetime | None:
    """The page cursor from the query string (an ISO time); None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _older(column, before: datetime | None) -> list:
    return [column < before] if before else []


def _audited(case: Case, kinds: set[str], before) -> list[Entry]:
    actions = [action for action, kind in AUDITED.items() if kind in kinds]
    if not actions:
        return []
    # Each side of the OR must match an index, or PostgreSQL reads the whole table: the case's
    # events by (case_id, occurred_at); accepting the invitation is an event of the member's
    # account, without a case, recorded by the member (actor_id, occurred_at).
    mine = AuditEvent.case_id == case.id
    if "account.invitation_accepted" in actions:
        mine = or_(
            mine,
            and_(
                AuditEvent.actor_id == case.member_id,
                AuditEvent.action == "account.invitation_accepted",
                AuditEvent.object_type == "user",
                AuditEvent.object_id == case.member_id,
            ),
        )
    actor = aliased(User)
    rows = db.session.execute(
        select(AuditEvent.occurred_at, AuditEvent.action, actor.name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(
            mine,
            AuditEvent.action.in_(actions),
            AuditEvent.outcome == Outcome.SUCCESS,
            *_older(AuditEvent.occurred_at, before),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    return [Entry(at, AUDITED[action], action, name) for at, action, name in rows]


def _activity_changes(case: Case, kinds: set[str], before) -> list[Entry]:
    # An activity keeps its key across plan versions; the latest version's title is shown.
    title = (
        select(PlannedActivity.title)
        .join(Goal, Goal.id == PlannedActivity.goal_id)
        .join(PlanVersion, PlanVersion.id == Goal.version_id)
        .where(
            PlanVersion.case_id == StatusChange.case_id,
            PlannedActivity.key == StatusChange.activity_key,
        )
        .order_by(PlanVersion.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(StatusChange, title)
        .where(StatusChange.case_id == case.id, *_older(StatusChange.changed_at, before))
        .options(joinedload(StatusChange.changed_by))
        .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    return [
        Entry(
            c.changed_at,
            "activities",
            "activity.status_changed",
            c.changed_by.name if c.changed_by else None,
            {"title": c.activity_key if title is None else title, "to": c.to_status},
        )
        for c, title in rows
    ]


def _messages(case: Case, kinds: set[str], before) -> list[Entry]:
    # The page of messages first, then their authors and subjects: joined before the LIMIT, every
    # message of the case would be joined to its author only to be sorted away.
    latest = (
        select(
            Message.id, Message.created_at, Message.kind, Message.conversation_id, Message.author_id
        )
        .where(
            Message.conversation_id.in_(
                select(Conversation.id).where(Conversation.case_id == case.id)
            ),
            *_older(Message.created_at, before),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(PAGE_SIZE + 1)
        .subquery()
    )
    rows = db.session.execute(
        select(latest.c.created_at, latest.c.kind, Conversation.id, Conversation.subject, User.name)
        .join(Conversation, Conversation.id == latest.c.conversation_id)
        .join(User, User.id == latest.c.author_id)
        .order_by(latest.c.created_at.desc(), latest.c.id.desc())
    )
    return [
        Entry(
            at,
            "messages",
            f"message.{kind.value}",
            author,
            {"conversation_id": conversation_id, "subject": subject},
        )
        for at, kind, conversation_id, subject, author in rows
    ]


def _whole_part(
    seq, kind, event, at, *, who=None, number=None, text=None, scheduled_at=None, state=None
):
    """One SELECT of the small sources' UNION: every part has the same columns, typed alike (a
    NULL of PostgreSQL's unknown type would not match a typed column)."""
    return select(
        literal(seq).label("seq"),
        cast(literal(kind), String).label("kind"),
        cast(literal(event), String).label("event"),
        type_coerce(at, UTCDateTime()).label("at"),
        cast(who if who is not None else null(), String).label("who"),
        cast(number if number is not None else null(), Integer).label("number"),
        cast(text if text is not None else null(), Text).label("text"),
        type_coerce(
            scheduled_at if scheduled_at is not None else cast(null(), DateTime()),
            UTCDateTime(),
        ).label("scheduled_at"),
        cast(state if state is not None else null(), String).label("state"),
    )


def _whole_parts(kinds: frozenset[str]) -> list:
    case_id = bindparam("case_id", type_=Integer)
    parts = []

    def add(kind, event, at, *, by=None, where=(), **columns):
        """One part; `by`, a user id column, names who did it."""
        if kind not in kinds:
            return
        person = aliased(User)
        who = person.name if by is not None else None
        part = _whole_part(len(parts), kind, event, at, who=who, **columns)
        if by is not None:
            part = part.outerjoin(person, person.id == by)
        parts.append(part.where(*where))

    add(
        "referral",
        "referred",
        Case.referred_at,
        by=Case.referred_by_id,
        where=[Case.id == case_id],
    )
    add(
        "assessment",
        "assessment.released",
        AssessmentVersion.released_at,
        by=AssessmentVersion.released_by_id,
        where=[
            AssessmentVersion.case_id == case_id,
            AssessmentVersion.status == VersionStatus.RELEASED,
        ],
        number=AssessmentVersion.number,
    )
    for event, at, by in (
        ("plan.shared", PlanVersion.shared_at, PlanVersion.shared_by_id),
        ("plan.member_agreed", PlanVersion.member_agreed_at, PlanVersion.member_agreed_by_id),
        ("plan.approved", PlanVersion.approved_at, PlanVersion.approved_by_id),
        ("plan.activated", PlanVersion.activated_at, None),
    ):
        add(
            "plan",
            event,
            at,
            by=by,
            where=[
                PlanVersion.case_id == case_id,
                PlanVersion.shared_at.is_not(None),
                at.is_not(None),
            ],
            number=PlanVersion.number,
        )
    for event, at, by in (
        ("checkin.scheduled", CheckIn.created_at, CheckIn.scheduled_by_id),
        ("checkin.outcome", CheckIn.outcome_recorded_at, CheckIn.outcome_recorded_by_id),
        ("checkin.cancelled", CheckIn.cancelled_at, None),
    ):
        add(
            "checkins",
            event,
            at,
            by=by,
            where=[CheckIn.case_id == case_id, at.is_not(None)],
            scheduled_at=CheckIn.scheduled_at,
            state=CheckIn.status,
        )
    add(
        "stage",
        "stage.changed",
        StageChange.changed_at,
        by=StageChange.changed_by_id,
        where=[StageChange.case_id == case_id, StageChange.from_stage.is_not(None)],
        text=StageChange.note,
        state=StageChange.to_stage,
    )
    add(
        "access",
        "break_glass",
        BreakGlassAccess.granted_at,
        by=BreakGlassAccess.staff_id,
        where=[BreakGlassAccess.case_id == case_id],
        text=BreakGlassAccess.reason,
    )
    return parts


def _values(row) -> dict:
    if row.kind in ("assessment", "plan"):
        return {"number": row.number}
    if row.kind == "checkins":
        return {"scheduled_at": row.scheduled_at, "status": row.state}
    if row.kind == "stage":
        return {"to": Stage(row.state), "note": row.text}
    if row.kind == "access":
        return {"reason": row.text}
    return {}


@lru_cache(maxsize=64)
def _whole_statement(kinds: frozenset[str]):
    """The UNION of the small sources for `kinds`, for any case (the `case_id` parameter): built
    once, as building its dozen SELECTs took longer than running them."""
    parts = _whole_parts(kinds)
    if not parts:
        return None
    union = union_all(*parts).subquery()
    return select(union).order_by(union.c.seq)


def _read_whole(case: Case, kinds: set[str], before) -> list[Entry]:
    """The small sources (the referral, released assessments, plan sign-offs, check-ins, stage
    changes, break-glass openings), read whole in one UNION ALL query."""
    statement = _whole_statement(frozenset(kinds))
    if statement is None:
        return []
    rows = db.session.execute(statement, {"case_id": case.id})
    return [Entry(row.at, row.kind, row.event, row.who, _values(row)) for row in rows]


SOURCES = {
    "referral": (_read_whole, _audited),
    "assessment": (_read_whole,),
    "responses": (_audited,),
    "plan": (_read_whole,),
    "activities": (_activity_changes,),
    "messages": (_messages,),
    "checkins": (_read_whole, _audited),
    "stage": (_read_whole,),
    "access": (_read_whole,),
}


def timeline(case: Case, kinds: set[str], before: datetime | None) -> Timeline:
    """The entries of `kinds` older than `before` (newest first, one page)."""
    sources = []
    for kind in KINDS:
        for source in SOURCES[kind] if kind in kinds else ():
            if source not in sources:
                sources.append(source)
    entries = [
        entry
        for source in sources
        for entry in source(case, kinds, before)
        if entry.kind in kinds and (before is None or entry.at < before)
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    if len(entries) <= PAGE_SIZE:
        return Timeline(entries, None)
    last = entries[PAGE_SIZE - 1].at
    page = [entry for entry in entries if entry.at >= last]
    return Timeline(page, last if len(page) < len(entries) else None)
