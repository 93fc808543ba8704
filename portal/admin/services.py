"""Administration: staff accounts, who works on which case, the audit trail and the outbox.

Functions add to the session and leave the commit to the caller; every change is audited in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    DateTime,
    Select,
    String,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import defer, joinedload, selectinload

from portal import clock
from portal.audit.models import AuditEvent, Outcome
from portal.audit.services import record
from portal.auth.models import Role, User
from portal.auth.services import AccountError, create_user, send_invitation
from portal.cases.models import Case, CaseTeamMember
from portal.extensions import db
from portal.messaging.models import Conversation
from portal.notifications.services import notify
from portal.outbox.models import EmailStatus, OutboxEmail

STAFF_ROLES = (Role.STAFF, Role.ADMIN)


class AdminError(AccountError):
    """Refused for a reason the admin can be told (the view translates the code)."""


# --- Staff accounts ------------------------------------------------------------------------------


def invite_staff(*, name: str, email: str, role: Role, language: str, by: User) -> User:
    """Create a staff or admin account without a password and email its invitation. Raises
    DuplicateEmail when the address is in use."""
    if role not in STAFF_ROLES:
        raise AdminError("not_staff_role")
    user = create_user(email=email, name=name, role=role, language=language)
    record("account.created", actor=by, object_type="user", object_id=user.id, detail=role.value)
    send_invitation(user)
    return user


def change_role(user: User, role: Role, *, by: User) -> bool:
    """Staff ⇄ admin. Never one's own role, and never into or out of the member role (a member's
    account is their record in the program). Returns False when the role is already `role`."""
    if user.id == by.id:
        raise AdminError("own_role")
    if user.role not in STAFF_ROLES or role not in STAFF_ROLES:
        raise AdminError("not_staff_role")
    if user.role is role:
        return False
    record(
        "account.role_changed",
        actor=by,
        object_type="user",
        object_id=user.id,
        detail=f"{user.role.value} -> {role.value}",
    )
    user.role = role
    return True


def staff_members() -> list[User]:
    """Everyone who may lead or join a case, deactivated accounts included (their cases still
    need a new lead)."""
    return list(
        db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.name))
    )


# --- Who works on which case ---------------------------------------------------------------------


def cases_query(*, lead_id: int | None = None, deactivated_lead: bool = False) -> Select:
    """Cases for the assignment page, with what a row shows loaded eagerly."""
    query = (
        select(Case)
        .join(User, User.id == Case.lead_advisor_id)
        .options(
            joinedload(Case.member),
            joinedload(Case.lead_advisor),
            selectinload(Case.team).joinedload(CaseTeamMember.staff),
        )
        .order_by(Case.id)
    )
    if lead_id is not None:
        query = query.where(Case.lead_advisor_id == lead_id)
    if deactivated_lead:
        query = query.where(User.active.is_(False))
    return query


def deactivated_leads() -> list[tuple[User, int]]:
    """Deactivated staff who still lead cases, with how many: those cases need a new lead."""
    return list(
        db.session.execute(
            select(User, func.count(Case.id))
            .join(Case, Case.lead_advisor_id == User.id)
            .where(User.role.in_(STAFF_ROLES), User.active.is_(False))
            .group_by(User.id)
            .order_by(User.name)
        ).tuples()
    )


def _unassign_conversations(case_ids: list[int], staff_ids: set[int]) -> None:
    """Conversations assigned to staff who no longer see the case go back to unassigned, so that
    nobody is notified about a case they cannot open."""
    if not case_ids or not staff_ids:
        return
    db.session.execute(
        update(Conversation)
        .where(Conversation.case_id.in_(case_ids), Conversation.assigned_to_id.in_(staff_ids))
        .values(assigned_to_id=None)
        .execution_options(synchronize_session=False)
    )


def reassign_case(
    case: Case, *, lead: User, team: list[User], expected_lead_id: int, by: User
) -> bool:
    """Make `lead` the case's lead advisor and `team` its team. False (nothing changed) when the
    lead is no longer `expected_lead_id`: someone else reassigned the case meanwhile.

    Whoever is neither lead nor on the team afterwards loses access to the case at once. A new
    lead or team member is told, without content, that a case awaits them.
    """
    if any(person.role not in STAFF_ROLES for person in [lead, *team]):
        raise AdminError("not_staff_role")
    if not lead.active:
        raise AdminError("not_active_staff")
    moved = db.session.execute(
        update(Case)
        .where(Case.id == case.id, Case.lead_advisor_id == expected_lead_id)
        .values(lead_advisor_id=lead.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        return False
    db.session.refresh(case, ["lead_advisor_id", "lead_advisor"])
    before = {member.staff_id for member in case.team} | {expected_lead_id}
    wanted = {person.id for person in team if person.id != lead.id}
    current_team = {member.staff_id for member in case.team}
    removed = current_team - wanted
    added = wanted - current_team
    if removed:
        db.session.execute(
            delete(CaseTeamMember).where(
                CaseTeamMember.case_id == case.id, CaseTeamMember.staff_id.in_(removed)
            )
        )
    for staff_id in sorted(added):
        db.session.add(CaseTeamMember(case_id=case.id, staff_id=staff_id, added_at=clock.now()))
    _unassign_conversations([case.id], before - wanted - {lead.id})
    record(
        "case.reassigned",
        actor=by,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        detail=f"lead {expected_lead_id} -> {lead.id}; team +{sorted(added)} -{sorted(removed)}",
    )
    newcomers = {person.id: person for person in team if person.id not in before}
    if lead.id != expected_lead_id:
        newcomers[lead.id] = lead
    for person in newcomers.values():
        notify(person, topic=f"case:{case.id}", endpoint="cases.show", case_id=case.id)
    db.session.expire(case, ["team"])
    return True


def reassign_all_cases(from_staff: User, to_staff: User, *, by: User) -> int:
    """Every case `from_staff` leads goes to `to_staff` (e.g. when someone leaves). Returns how
    many; the new lead gets one notification for them all."""
    if to_staff.role not in STAFF_ROLES or not to_staff.active:
        raise AdminError("not_active_staff")
    case_ids = list(
        db.session.scalars(
            select(Case.id).where(Case.lead_advisor_id == from_staff.id).order_by(Case.id)
        )
    )
    if not case_ids:
        return 0
    db.session.execute(
        update(Case)
        .where(Case.id.in_(case_ids), Case.lead_advisor_id == from_staff.id)
        .values(lead_advisor_id=to_staff.id)
        .execution_options(synchronize_session=False)
    )
    # The new lead is no longer also a team member of these cases.
    db.session.execute(
        delete(CaseTeamMember).where(
            CaseTeamMember.case_id.in_(case_ids), CaseTeamMember.staff_id == to_staff.id
        )
    )
    _unassign_conversations(case_ids, {from_staff.id})
    now = clock.now()
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "occurred_at": now,
                "actor_id": by.id,
                "actor_role": by.role.value,
                "action": "case.reassigned",
                "object_type": "case",
                "object_id": case_id,
                "case_id": case_id,
                "outcome": Outcome.SUCCESS,
                "detail": f"lead {from_staff.id} -> {to_staff.id} (all cases)",
            }
            for case_id in case_ids
        ],
    )
    record(
        "case.bulk_reassigned",
        actor=by,
        object_type="user",
        object_id=from_staff.id,
        detail=f"{len(case_ids)} cases -> user {to_staff.id}",
    )
    notify(to_staff, topic="caseload", endpoint="cases.index")
    db.session.expire_all()
    return len(case_ids)


# --- The audit trail -----------------------------------------------------------------------------


@dataclass
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    case_id: int | None = None
    outcome: Outcome | None = None
    start: datetime | None = None
    end: datetime | None = None  # exclusive

    def describe(self) -> str:
        """What the admin asked for, for the audit event of the viewing itself."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("actor", self.actor),
                ("action", self.action),
                ("case", self.case_id),
                ("outcome", self.outcome.value if self.outcome else None),
                ("from", self.start.isoformat() if self.start else None),
                ("to", self.end.isoformat() if self.end else None),
            )
            if value
        ]
        return " ".join(parts) or "all"


def _audit_query(filters: AuditFilters, *columns) -> Select:
    """Events with their actor's name and email (an outer join: some events have no actor), or
    the given `columns` of them."""
    query = select(*(columns or (AuditEvent, User.name, User.email))).outerjoin(
        User, User.id == AuditEvent.actor_id
    )
    if filters.actor:
        term = filters.actor.strip()
        query = query.where(
            or_(
                User.name.icontains(term, autoescape=True),
                User.email.icontains(term, autoescape=True),
            )
        )
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action.strip(), autoescape=True))
    if filters.case_id:
        query = query.where(AuditEvent.case_id == filters.case_id)
    if filters.outcome:
        query = query.where(AuditEvent.outcome == filters.outcome)
    if filters.start:
        query = query.where(AuditEvent.occurred_at >= filters.start)
    if filters.end:
        query = query.where(AuditEvent.occurred_at < filters.end)
    return query


@dataclass
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    actor_email: str | None


@dataclass
class AuditPage:
    rows: list[AuditRow]
    newer_cursor: str | None  # show the page of events just newer than these
    older_cursor: str | None  # show the page of events just older than these


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _cursor(event: AuditEvent) -> str:
    """Where a page ends: the event's time (whole microseconds since 1970) and id."""
    return f"{(event.occurred_at - EPOCH) // MICROSECOND}-{event.id}"


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    try:
        micros, event_id = (int(part) for part in (cursor or "").split("-"))
        return EPOCH + micros * MICROSECOND, event_id
    except (ValueError, OverflowError):
        return None


def _after(key: tuple[datetime, int]):
    at, event_id = key
    return or_(
        AuditEvent.occurred_at > at, and_(AuditEvent.occurred_at == at, AuditEvent.id > event_id)
    )


def _before(key: tuple[datetime, int]):
    at, event_id = key
    return or_(
        AuditEvent.occurred_at < at, and_(AuditEvent.occurred_at == at, AuditEvent.id < event_id)
    )


def audit_page(
    filters: AuditFilters, *, older_than: str | None, newer_than: str | None, per_page: int = 50
) -> AuditPage:
    """One page of events, newest first, by keyset on (time, id): two queries at most whatever
    the size of the trail, and no page drifts while new events arrive."""
    query = _audit_query(filters)
    newer = _parse_cursor(newer_than)
    older = _parse_cursor(older_than)
    if newer is not None:
        query = query.where(_after(newer)).order_by(AuditEvent.occurred_at, AuditEvent.id)
    else:
        if older is not None:
            query = query.where(_before(older))
        query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    found = [AuditRow(*row) for row in db.session.execute(query.limit(per_page + 1))]
    more = len(found) > per_page
    rows = found[:per_page]
    if newer is not None:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = older is not None, more
    return AuditPage(
        rows=rows,
        newer_cursor=_cursor(rows[0].event) if rows and has_newer else None,
        older_cursor=_cursor(rows[-1].event) if rows and has_older else None,
    )


AUDIT_CSV_HEADER = [
    "occurred_at_utc",
    "actor_id",
    "actor_name",
    "actor_email",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "ip_address",
    "outcome",
    "detail",
]


def audit_csv_rows(filters: AuditFilters) -> Iterator[list[object]]:
    """Every matching event, newest first, fetched in batches so that memory stays flat however
    long the export.

    Tens of thousands of rows: plain columns rather than ORM objects, the time as stored (naive
    UTC, written with its "+00:00" here) and the outcome as its stored value, so that a row costs
    little more than the CSV writer."""
    query = _audit_query(
        filters,
        type_coerce(AuditEvent.occurred_at, DateTime()),
        AuditEvent.actor_id,
        User.name,
        User.email,
        AuditEvent.actor_role,
        AuditEvent.action,
        AuditEvent.object_type,
        AuditEvent.object_id,
        AuditEvent.case_id,
        AuditEvent.ip_address,
        type_coerce(AuditEvent.outcome, String()),
        AuditEvent.detail,
    ).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    for at, *columns in db.session.execute(query.execution_options(yield_per=500)):
        yield [f"{at.isoformat()}+00:00", *columns]


# --- The outbox ----------------------------------------------------------------------------------


def outbox_query(status: EmailStatus | None) -> Select:
    # Never the bodies: the page does not show them, and they hold single-use links.
    query = (
        select(OutboxEmail)
        .options(
            defer(OutboxEmail.body_text),
            defer(OutboxEmail.body_html),
            defer(OutboxEmail.calendar_ics),
        )
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    )
    if status is not None:
        query = query.where(OutboxEmail.status == status)
    return query


def can_retry(email: OutboxEmail) -> bool:
    """A failed email can be sent again while it still has its body (the worker erases bodies
    only once an email is sent, so a failed one normally keeps it)."""
    return email.status is EmailStatus.FAILED and email.has_body


def retry_email(email_id: int, *, by: User) -> bool:
    """Put a failed email back in the queue: pending, due now, attempts counted afresh. One
    conditional UPDATE, so a double click or two admins at once retry it once. False when it was
    not (or no longer) a failed email that can be retried."""
    retried = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.status == EmailStatus.FAILED,
            OutboxEmail.body_text.is_not(None),
        )
        .values(
            status=EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=clock.now(),
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if retried:
        record("outbox.retried", actor=by, object_type="outbox_email", object_id=email_id)
    return bool(retried)
