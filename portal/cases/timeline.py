"""A case's whole story, newest first: one query per source, merged here.

Sources that grow without bound over the years (messages, activity changes, audit events) are read
`PAGE_SIZE + 1` rows at a time, older than a cursor (`before`); the small ones (versions, check-ins,
stage changes, break-glass openings) are read whole and cut at the same cursor. The page ends at
the PAGE_SIZE-th newest entry (with any entry of the very same time), and "Older" continues from
there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased, joinedload

from portal.activities.models import StatusChange
from portal.assessment.models import AssessmentVersion, VersionStatus
from portal.audit.models import AuditEvent, Outcome
from portal.auth.models import User
from portal.cases.models import BreakGlassAccess, Case, StageChange
from portal.checkins.models import CheckIn
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


def _referral(case: Case, kinds: set[str], before) -> list[Entry]:
    referred_by = case.referred_by.name if case.referred_by_id else None
    return [Entry(case.referred_at, "referral", "referred", referred_by)]


def _audited(case: Case, kinds: set[str], before) -> list[Entry]:
    actions = [action for action, kind in AUDITED.items() if kind in kinds]
    if not actions:
        return []
    actor = aliased(User)
    rows = db.session.execute(
        select(AuditEvent, actor.name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(
            AuditEvent.action.in_(actions),
            AuditEvent.outcome == Outcome.SUCCESS,
            or_(
                AuditEvent.case_id == case.id,
                # Accepting the invitation is an event of the member's account.
                and_(
                    AuditEvent.action == "account.invitation_accepted",
                    AuditEvent.object_type == "user",
                    AuditEvent.object_id == case.member_id,
                ),
            ),
            *_older(AuditEvent.occurred_at, before),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    return [
        Entry(event.occurred_at, AUDITED[event.action], event.action, name) for event, name in rows
    ]


def _assessments(case: Case, kinds: set[str], before) -> list[Entry]:
    versions = db.session.scalars(
        select(AssessmentVersion)
        .where(
            AssessmentVersion.case_id == case.id,
            AssessmentVersion.status == VersionStatus.RELEASED,
        )
        .options(joinedload(AssessmentVersion.released_by))
    )
    return [
        Entry(
            v.released_at,
            "assessment",
            "assessment.released",
            v.released_by.name if v.released_by else None,
            {"number": v.number},
        )
        for v in versions
    ]


def _plans(case: Case, kinds: set[str], before) -> list[Entry]:
    versions = db.session.scalars(
        select(PlanVersion)
        .where(PlanVersion.case_id == case.id, PlanVersion.shared_at.is_not(None))
        .options(
            joinedload(PlanVersion.shared_by),
            joinedload(PlanVersion.member_agreed_by),
            joinedload(PlanVersion.approved_by),
        )
    )
    entries = []
    for v in versions:
        values = {"number": v.number}
        for at, event, who in (
            (v.shared_at, "plan.shared", v.shared_by),
            (v.member_agreed_at, "plan.member_agreed", v.member_agreed_by),
            (v.approved_at, "plan.approved", v.approved_by),
            (v.activated_at, "plan.activated", None),
        ):
            if at is not None:
                entries.append(Entry(at, "plan", event, who.name if who else None, values))
    return entries


def _activity_changes(case: Case, kinds: set[str], before) -> list[Entry]:
    changes = list(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.case_id == case.id, *_older(StatusChange.changed_at, before))
            .options(joinedload(StatusChange.changed_by))
            .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
            .limit(PAGE_SIZE + 1)
        )
    )
    if not changes:
        return []
    # An activity keeps its key across plan versions; the latest version's title is shown.
    titles = dict(
        db.session.execute(
            select(PlannedActivity.key, PlannedActivity.title)
            .join(Goal, Goal.id == PlannedActivity.goal_id)
            .join(PlanVersion, PlanVersion.id == Goal.version_id)
            .where(PlanVersion.case_id == case.id)
            .order_by(PlanVersion.id)
        ).all()
    )
    return [
        Entry(
            c.changed_at,
            "activities",
            "activity.status_changed",
            c.changed_by.name if c.changed_by else None,
            {"title": titles.get(c.activity_key, c.activity_key), "to": c.to_status},
        )
        for c in changes
    ]


def _messages(case: Case, kinds: set[str], before) -> list[Entry]:
    rows = db.session.execute(
        select(Message.created_at, Message.kind, Conversation.id, Conversation.subject, User.name)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(User, User.id == Message.author_id)
        .where(Conversation.case_id == case.id, *_older(Message.created_at, before))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(PAGE_SIZE + 1)
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


def _checkins(case: Case, kinds: set[str], before) -> list[Entry]:
    check_ins = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.case_id == case.id)
        .options(joinedload(CheckIn.scheduled_by), joinedload(CheckIn.outcome_recorded_by))
    )
    entries = []
    for c in check_ins:
        values = {"scheduled_at": c.scheduled_at, "status": c.status.value}
        entries.append(
            Entry(c.created_at, "checkins", "checkin.scheduled", c.scheduled_by.name, values)
        )
        if c.outcome_recorded_at is not None:
            who = c.outcome_recorded_by.name if c.outcome_recorded_by else None
            entries.append(Entry(c.outcome_recorded_at, "checkins", "checkin.outcome", who, values))
        if c.cancelled_at is not None:
            entries.append(Entry(c.cancelled_at, "checkins", "checkin.cancelled", None, values))
    return entries


def _stages(case: Case, kinds: set[str], before) -> list[Entry]:
    changed_by = aliased(User)
    rows = db.session.execute(
        select(StageChange, changed_by.name)
        .outerjoin(changed_by, changed_by.id == StageChange.changed_by_id)
        .where(StageChange.case_id == case.id, StageChange.from_stage.is_not(None))
    )
    return [
        Entry(
            change.changed_at,
            "stage",
            "stage.changed",
            name,
            {"to": change.to_stage, "note": change.note},
        )
        for change, name in rows
    ]


def _break_glass(case: Case, kinds: set[str], before) -> list[Entry]:
    grants = db.session.scalars(
        select(BreakGlassAccess)
        .where(BreakGlassAccess.case_id == case.id)
        .options(joinedload(BreakGlassAccess.staff))
    )
    return [
        Entry(g.granted_at, "access", "break_glass", g.staff.name, {"reason": g.reason})
        for g in grants
    ]


SOURCES = {
    "referral": (_referral, _audited),
    "assessment": (_assessments,),
    "responses": (_audited,),
    "plan": (_plans,),
    "activities": (_activity_changes,),
    "messages": (_messages,),
    "checkins": (_checkins,),
    "stage": (_stages,),
    "access": (_break_glass,),
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
