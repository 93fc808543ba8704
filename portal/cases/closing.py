"""Closing a case at the end of the program, and reopening it.

Kept apart from services.py: notifying the member reaches into features that import
portal.cases.services themselves.
"""

from sqlalchemy import update

from portal import clock
from portal.audit.services import record
from portal.auth.models import User
from portal.cases.models import Case, Stage
from portal.cases.services import CaseError, change_stage, may_close
from portal.checkins.services import cancel_check_in, upcoming_of
from portal.extensions import db
from portal.notifications.services import notify


def close_case(case: Case, *, by: User, summary: str) -> None:
    """The lead advisor (or an admin) closes the case with a summary the member reads; the member
    keeps read-only access and is notified (content-free); check-ins still to come are cancelled."""
    if not may_close(by, case):
        raise CaseError("not_lead")
    summary = summary.strip()
    if not summary:
        raise CaseError("no_summary")
    now = clock.now()
    # Conditional: of two submissions at once, only one closes the case.
    closed = db.session.execute(
        update(Case)
        .where(Case.id == case.id, Case.stage != Stage.CLOSED)
        .values(closed_at=now, closed_by_id=by.id, closing_summary=summary)
    ).rowcount
    if not closed:
        raise CaseError("already_closed")
    change_stage(case, Stage.CLOSED, by=by, note=summary)
    for check_in in upcoming_of(case, limit=None):
        cancel_check_in(check_in, by=by)  # calendars get the cancellation
    record("case.closed", actor=by, object_type="case", object_id=case.id, case_id=case.id)
    notify(case.member, topic=f"case:{case.id}", endpoint="home.dashboard")


def reopen_case(case: Case, *, by: User, reason: str) -> None:
    """Back to ongoing support (lead advisor or admin, with a reason kept in the stage history and
    the audit trail; the closing summary stays in the stage history)."""
    if not may_close(by, case):
        raise CaseError("not_lead")
    reason = reason.strip()
    if not reason:
        raise CaseError("no_reason")
    reopened = db.session.execute(
        update(Case)
        .where(Case.id == case.id, Case.stage == Stage.CLOSED)
        .values(closed_at=None, closed_by_id=None, closing_summary=None)
    ).rowcount
    if not reopened:
        raise CaseError("not_closed")
    change_stage(case, Stage.ONGOING_SUPPORT, by=by, note=reason)
    record(
        "case.reopened",
        actor=by,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        detail=reason,
    )
