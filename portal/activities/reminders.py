"""Reminders of required activities: a content-free email when one is due within
DUE_SOON_DAYS, and another when it becomes overdue.

Each (case, activity, threshold) is reminded once: the SentReminder row is inserted before the
email is queued, in the same transaction, and its unique constraint refuses a second one, so a
re-run, or two workers running at once, never repeat a reminder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from portal.activities.models import (
    ActivityProgress,
    ActivityStatus,
    ReminderThreshold,
    SentReminder,
)
from portal.activities.services import DUE_SOON_DAYS, local_today
from portal.auth.models import User
from portal.cases.models import Case
from portal.extensions import db
from portal.notifications.services import notify
from portal.plan.models import Goal, PlannedActivity, PlanStatus, PlanVersion

log = logging.getLogger(__name__)

STILL_TO_DO = (ActivityStatus.NOT_STARTED, ActivityStatus.IN_PROGRESS, ActivityStatus.RETURNED)


@dataclass(frozen=True)
class DueReminder:
    case_id: int
    member_id: int
    activity_key: str
    threshold: ReminderThreshold
    due_date: date


def due_reminders(today: date | None = None) -> list[DueReminder]:
    """Reminders that should go out now and have not: required activities of active plans, still
    to do, due within DUE_SOON_DAYS or overdue. An overdue activity gets only the overdue one."""
    today = today or local_today()
    progress = ActivityProgress
    rows = db.session.execute(
        select(Case.id, Case.member_id, PlannedActivity.key, PlannedActivity.due_date)
        .join(PlanVersion, PlanVersion.case_id == Case.id)
        .join(Goal, Goal.version_id == PlanVersion.id)
        .join(PlannedActivity, PlannedActivity.goal_id == Goal.id)
        .join(User, User.id == Case.member_id)
        .outerjoin(
            progress,
            and_(progress.case_id == Case.id, progress.activity_key == PlannedActivity.key),
        )
        .where(
            PlanVersion.status == PlanStatus.ACTIVE,
            PlannedActivity.required.is_(True),
            PlannedActivity.due_date.is_not(None),
            PlannedActivity.due_date <= today + timedelta(days=DUE_SOON_DAYS),
            User.active.is_(True),
            or_(progress.id.is_(None), progress.status.in_(STILL_TO_DO)),
        )
        .order_by(Case.id, PlannedActivity.due_date, PlannedActivity.key)
    ).all()
    case_ids = {row[0] for row in rows}
    sent = set(
        db.session.execute(
            select(SentReminder.case_id, SentReminder.activity_key, SentReminder.threshold).where(
                SentReminder.case_id.in_(case_ids)
            )
        ).tuples()
    )
    due = []
    for case_id, member_id, key, due_date in rows:
        threshold = ReminderThreshold.OVERDUE if due_date < today else ReminderThreshold.DUE_SOON
        if (case_id, key, threshold) not in sent:
            due.append(DueReminder(case_id, member_id, key, threshold, due_date))
    return due


def send_reminder(reminder: DueReminder) -> bool:
    """Record and queue one reminder, then commit. False when it was already sent (by an earlier
    run, or by another worker at the same moment)."""
    try:
        with db.session.begin_nested():
            db.session.add(
                SentReminder(
                    case_id=reminder.case_id,
                    activity_key=reminder.activity_key,
                    threshold=reminder.threshold,
                    due_date=reminder.due_date,
                )
            )
    except IntegrityError:
        db.session.rollback()
        return False
    member = db.session.get(User, reminder.member_id)
    notify(
        member,
        topic=f"reminder:{reminder.case_id}:{reminder.activity_key}:{reminder.threshold.value}",
        endpoint="activities.member_activity",
        activity_key=reminder.activity_key,
    )
    db.session.commit()
    return True


def send_reminders(today: date | None = None) -> int:
    """Send every reminder that is due. Returns how many were sent; safe to run at any time."""
    return sum(send_reminder(reminder) for reminder in due_reminders(today))


def run_reminder_job() -> None:
    """The periodic job the outbox worker runs."""
    sent = send_reminders()
    if sent:
        log.info("activities: %s reminder(s) queued", sent)
