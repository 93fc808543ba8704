"""Plain helpers for the caseload, timeline and closing tests."""

from __future__ import annotations

import uuid
from datetime import timedelta

from portal import clock
from portal.cases.models import Case
from portal.checkins.models import CheckIn, CheckInMode, CheckInStatus
from portal.extensions import db


def add_check_in(
    case: Case, staff, *, in_days: float, status: CheckInStatus = CheckInStatus.SCHEDULED
) -> CheckIn:
    """A check-in row as the check-ins feature writes it (scheduled `in_days` from now)."""
    check_in = CheckIn(
        case_id=case.id,
        scheduled_at=clock.now() + timedelta(days=in_days),
        time_zone="America/Toronto",
        mode=CheckInMode.PHONE,
        agenda="How the plan is going.",
        status=status,
        calendar_uid=f"{uuid.uuid4()}@test",
        scheduled_by_id=staff.id,
    )
    db.session.add(check_in)
    db.session.commit()
    return check_in
