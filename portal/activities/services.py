"""The member's progress on the activities of their active plan, evidence, verification, plan
completion, and the catalog.

Who may change what (the views check roles and load the case with `get_case_for`; these functions
check the rest and raise ActivityError with a code the view translates):

    not started → in progress                     the member
    not started, in progress, returned → submitted the member, with evidence and a reflection
    submitted → completed                          staff on the case (verify)
    submitted → returned                           staff on the case, with a comment
    anything but completed or waived → waived      staff on the case, with a reason

Every change appends a StatusChange row and an audit event. Functions add to the session; the
caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from portal import clock
from portal.activities.models import (
    DONE,
    ActivityProgress,
    ActivityStatus,
    CatalogEntry,
    PlanCompletion,
    StatusChange,
    Submission,
)
from portal.assessment.models import FactorCategory
from portal.audit.services import record, record_denied
from portal.auth.models import User
from portal.cases.models import Case, CaseTeamMember
from portal.cases.services import (
    ensure_case_open,
    record_contact,
    touch,
    visible_cases,
    worklist_cases,
)
from portal.extensions import db
from portal.notifications.services import notify
from portal.plan import services as plan
from portal.plan.models import ActivityKind, Goal, PlannedActivity, PlanStatus, PlanVersion
from portal.uploads.services import CheckedUpload, store_upload

DUE_SOON_DAYS = 7

MEMBER_MAY_START = (ActivityStatus.NOT_STARTED,)
MEMBER_MAY_SUBMIT = (
    ActivityStatus.NOT_STARTED,
    ActivityStatus.IN_PROGRESS,
    ActivityStatus.RETURNED,
)


class ActivityError(Exception):
    """Refused for a reason the user can be told (the view translates the code)."""


def local_today() -> date:
    """Today in the portal's time zone: due dates are calendar days where the members live."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return clock.now().astimezone(zone).date()


# --- Reading progress ----------------------------------------------------------------------------


@dataclass
class Figures:
    required_total: int = 0  # required activities, not counting waived ones
    required_completed: int = 0
    hours_planned: Decimal = Decimal(0)  # estimated hours of activities not waived
    hours_completed: Decimal = Decimal(0)

    @property
    def percent(self) -> int:
        if not self.required_total:
            return 100
        return round(100 * self.required_completed / self.required_total)

    def add(self, activity: PlannedActivity, status: ActivityStatus) -> None:
        if status is ActivityStatus.WAIVED:
            return
        hours = activity.estimated_hours or Decimal(0)
        self.hours_planned += hours
        if activity.required:
            self.required_total += 1
        if status is ActivityStatus.COMPLETED:
            self.hours_completed += hours
            if activity.required:
                self.required_completed += 1


@dataclass
class ActivityItem:
    activity: PlannedActivity
    status: ActivityStatus
    standing: str | None  # "overdue", "due_soon" or None
    progress: ActivityProgress | None
    latest: Submission | None  # the latest evidence sent

    @property
    def key(self) -> str:
        return self.activity.key


@dataclass
class GoalProgress:
    goal: Goal
    items: list[ActivityItem] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)


@dataclass
class Overview:
    case: Case
    version: PlanVersion
    goals: list[GoalProgress]
    figures: Figures
    completion: PlanCompletion | None

    @property
    def items(self) -> list[ActivityItem]:
        return [item for goal in self.goals for item in goal.items]

    @property
    def all_required_done(self) -> bool:
        return all(item.status in DONE for item in self.items if item.activity.required)


# Nothing left for the member to do: such an activity is never overdue or due soon.
NOTHING_TO_DO = (*DONE, ActivityStatus.SUBMITTED)


def standing(activity: PlannedActivity, status: ActivityStatus, today: date) -> str | None:
    """Whether an activity the member still has to do is overdue or due soon."""
    if activity.due_date is None or status in NOTHING_TO_DO:
        return None
    if activity.due_date < today:
        return "overdue"
    if activity.due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return None


def overdue_count(case_id, today: date):
    """The number of overdue activities (as `standing` says) of the case's active plan, as a SQL
    scalar subquery correlated to `case_id` (e.g. `Case.id`), for lists of cases."""
    progress = ActivityProgress
    return (
        select(func.count(PlannedActivity.id))
        .join(Goal, Goal.id == PlannedActivity.goal_id)
        .join(PlanVersion, PlanVersion.id == Goal.version_id)
        .outerjoin(
            progress,
            and_(
                progress.case_id == PlanVersion.case_id,
                progress.activity_key == PlannedActivity.key,
            ),
        )
        .where(
            PlanVersion.case_id == case_id,
            PlanVersion.status == PlanStatus.ACTIVE,
            PlannedActivity.due_date < today,
            or_(progress.id.is_(None), progress.status.not_in(NOTHING_TO_DO)),
        )
        .scalar_subquery()
    )


def unfinished_due_count(case: Case, first_day: date, last_day: date) -> int:
    """How many activities of the case's active plan are due from `first_day` to `last_day` and
    not yet completed or waived. One query, whatever the size of the plan."""
    return db.session.scalar(
        select(func.count(PlannedActivity.id))
        .join(Goal, Goal.id == PlannedActivity.goal_id)
        .join(PlanVersion, PlanVersion.id == Goal.version_id)
        .where(
            PlanVersion.case_id == case.id,
            PlanVersion.status == PlanStatus.ACTIVE,
            PlannedActivity.due_date.between(first_day, last_day),
            PlannedActivity.key.not_in(
                select(ActivityProgress.activity_key).where(
                    ActivityProgress.case_id == case.id, ActivityProgress.status.in_(DONE)
                )
            ),
        )
    )


def awaiting_verification_count(case_id):
    """The number of the case's activities submitted and waiting for staff (what the verification
    queue lists), as a SQL scalar subquery correlated to `case_id`."""
    return (
        select(func.count(ActivityProgress.id))
        .where(
            ActivityProgress.case_id == case_id,
            ActivityProgress.status == ActivityStatus.SUBMITTED,
        )
        .scalar_subquery()
    )


def progress_by_key(case: Case) -> dict[str, ActivityProgress]:
    return {
        p.activity_key: p
        for p in db.session.scalars(
            select(ActivityProgress).where(ActivityProgress.case_id == case.id)
        )
    }


def latest_submissions(case: Case) -> dict[str, Submission]:
    rows = db.session.scalars(
        select(Submission)
        .where(Submission.case_id == case.id)
        .options(joinedload(Submission.file))
        .order_by(Submission.submitted_at, Submission.id)
    )
    return {s.activity_key: s for s in rows}  # the latest of each activity wins


def completion_of(version: PlanVersion) -> PlanCompletion | None:
    return db.session.scalar(
        select(PlanCompletion)
        .where(PlanCompletion.version_id == version.id)
        .options(joinedload(PlanCompletion.completed_by))
    )


def overview(case: Case) -> Overview | None:
    """The active plan's activities by goal, with status and figures; None without an active
    plan. A fixed number of queries, whatever the number of activities."""
    version = plan.active_version(case)
    if version is None:
        return None
    progress = progress_by_key(case)
    latest = latest_submissions(case)
    today = local_today()
    totals = Figures()
    goals = []
    for goal in version.goals:
        entry = GoalProgress(goal)
        for activity in goal.activities:
            row = progress.get(activity.key)
            status = row.status if row else ActivityStatus.NOT_STARTED
            entry.items.append(
                ActivityItem(
                    activity,
                    status,
                    standing(activity, status, today),
                    row,
                    latest.get(activity.key),
                )
            )
            entry.figures.add(activity, status)
            totals.add(activity, status)
        goals.append(entry)
    return Overview(case, version, goals, totals, completion_of(version))


def active_activity_or_404(case: Case, key: str) -> tuple[PlanVersion, PlannedActivity]:
    """An activity of the case's active plan, by key; 404 (audited) when there is none."""
    row = db.session.execute(
        select(PlanVersion, PlannedActivity)
        .join(Goal, Goal.version_id == PlanVersion.id)
        .join(PlannedActivity, PlannedActivity.goal_id == Goal.id)
        .where(
            PlanVersion.case_id == case.id,
            PlanVersion.status == PlanStatus.ACTIVE,
            PlannedActivity.key == key,
        )
    ).first()
    if row is None:
        record_denied("activity.not_found", object_type="case", object_id=case.id)
        abort(404)
    return row[0], row[1]


def status_of(case: Case, key: str) -> ActivityStatus:
    row = _progress_row(case, key)
    return row.status if row else ActivityStatus.NOT_STARTED


def history_of(case: Case, key: str) -> list[StatusChange]:
    return list(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.case_id == case.id, StatusChange.activity_key == key)
            .options(joinedload(StatusChange.changed_by))
            .order_by(StatusChange.changed_at, StatusChange.id)
        )
    )


def submissions_of(case: Case, key: str) -> list[Submission]:
    """Every submission of the activity, newest first."""
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.case_id == case.id, Submission.activity_key == key)
            .options(joinedload(Submission.file))
            .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        )
    )


def submission_for_or_404(user: User, submission_id: int) -> Submission:
    """A submission whose case `user` may see (the member, staff on the case, admins)."""
    submission = db.session.scalar(
        select(Submission)
        .join(Case, Case.id == Submission.case_id)
        .where(Submission.id == submission_id, *visible_cases(user))
        .options(joinedload(Submission.file))
    )
    if submission is None:
        record_denied("evidence.not_visible", object_type="submission", object_id=submission_id)
        abort(404)
    return submission


def record_page_view(case: Case, how: str) -> None:
    record("activities.viewed", object_type="case", object_id=case.id, case_id=case.id, detail=how)


def record_evidence_download(submission: Submission) -> None:
    record(
        "evidence.downloaded",
        object_type="submission",
        object_id=submission.id,
        case_id=submission.case_id,
        detail=submission.activity_key,
    )


# --- Changing status ------------------------------------------------------------------------------


def _progress_row(case: Case, key: str) -> ActivityProgress | None:
    return db.session.scalar(
        select(ActivityProgress).where(
            ActivityProgress.case_id == case.id, ActivityProgress.activity_key == key
        )
    )


def _change(
    case: Case,
    activity: PlannedActivity,
    *,
    allowed_from: tuple[ActivityStatus, ...],
    to: ActivityStatus,
    by: User,
    comment: str | None = None,
) -> ActivityProgress:
    row = _progress_row(case, activity.key)
    current = row.status if row else ActivityStatus.NOT_STARTED
    if current not in allowed_from:
        raise ActivityError("not_allowed")
    now = clock.now()
    if row is None:
        row = ActivityProgress(case_id=case.id, activity_key=activity.key)
        db.session.add(row)
    row.status = to
    row.changed_at = now
    row.completed_at = now if to is ActivityStatus.COMPLETED else None
    db.session.add(
        StatusChange(
            case_id=case.id,
            activity_key=activity.key,
            from_status=current,
            to_status=to,
            changed_by_id=by.id,
            changed_at=now,
            comment=comment,
        )
    )
    record_contact(case)
    record(
        "activity.status_changed",
        actor=by,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        detail=f"{activity.key} {current.value}->{to.value}",
    )
    return row


def _require_member(case: Case, user: User) -> None:
    if user.id != case.member_id:
        raise ActivityError("not_allowed")
    ensure_case_open(case)


def _require_staff(user: User) -> None:
    if not user.is_staff:
        raise ActivityError("not_allowed")


def _tell_member(case: Case, activity: PlannedActivity) -> None:
    notify(
        case.member,
        topic=f"activity:{case.id}",
        endpoint="activities.member_activity",
        activity_key=activity.key,
    )


def start_activity(case: Case, activity: PlannedActivity, *, by: User) -> None:
    _require_member(case, by)
    _change(case, activity, allowed_from=MEMBER_MAY_START, to=ActivityStatus.IN_PROGRESS, by=by)


def submit_evidence(
    case: Case,
    activity: PlannedActivity,
    *,
    by: User,
    upload: CheckedUpload,
    learned: str,
    practice_change: str,
) -> Submission:
    """The member sends evidence and a reflection; the lead advisor and the case team are
    notified (content-free)."""
    _require_member(case, by)
    if not learned.strip() or not practice_change.strip():
        raise ActivityError("no_reflection")
    _change(case, activity, allowed_from=MEMBER_MAY_SUBMIT, to=ActivityStatus.SUBMITTED, by=by)
    stored = store_upload(upload, uploaded_by=by)
    db.session.flush()
    submission = Submission(
        case_id=case.id,
        activity_key=activity.key,
        file_id=stored.id,
        learned=learned.strip(),
        practice_change=practice_change.strip(),
        submitted_by_id=by.id,
        submitted_at=clock.now(),
    )
    db.session.add(submission)
    for staff in case_staff(case):
        notify(
            staff,
            topic=f"verification:{case.id}",
            endpoint="activities.staff_activity",
            case_id=case.id,
            activity_key=activity.key,
        )
    return submission


def case_staff(case: Case) -> list[User]:
    """The lead advisor and the case team: who can verify the case's evidence."""
    team = db.session.scalars(
        select(User)
        .join(CaseTeamMember, CaseTeamMember.staff_id == User.id)
        .where(CaseTeamMember.case_id == case.id, User.id != case.lead_advisor_id)
        .order_by(User.id)
    )
    return [case.lead_advisor, *team]


def verify_activity(case: Case, activity: PlannedActivity, *, by: User) -> None:
    _require_staff(by)
    _change(
        case, activity, allowed_from=(ActivityStatus.SUBMITTED,), to=ActivityStatus.COMPLETED, by=by
    )
    _tell_member(case, activity)


def return_activity(case: Case, activity: PlannedActivity, *, by: User, comment: str) -> None:
    """Back to the member, saying what is missing."""
    _require_staff(by)
    if not comment.strip():
        raise ActivityError("no_comment")
    _change(
        case,
        activity,
        allowed_from=(ActivityStatus.SUBMITTED,),
        to=ActivityStatus.RETURNED,
        by=by,
        comment=comment.strip(),
    )
    _tell_member(case, activity)


def waive_activity(case: Case, activity: PlannedActivity, *, by: User, reason: str) -> None:
    _require_staff(by)
    if not reason.strip():
        raise ActivityError("no_reason")
    _change(
        case,
        activity,
        allowed_from=tuple(s for s in ActivityStatus if s not in DONE),
        to=ActivityStatus.WAIVED,
        by=by,
        comment=reason.strip(),
    )
    _tell_member(case, activity)


def complete_plan(case: Case, *, by: User) -> PlanCompletion:
    """The lead advisor marks the active plan complete, once every required activity is done."""
    current = overview(case)
    if current is None:
        raise ActivityError("no_active_plan")
    if by.id != case.lead_advisor_id:
        raise ActivityError("not_lead")
    if current.completion is not None:
        raise ActivityError("already_complete")
    if not current.all_required_done:
        raise ActivityError("not_all_done")
    completion = PlanCompletion(
        case_id=case.id,
        version_id=current.version.id,
        completed_by_id=by.id,
        completed_at=clock.now(),
    )
    db.session.add(completion)
    touch(case)
    record(
        "plan.completed",
        actor=by,
        object_type="plan_version",
        object_id=current.version.id,
        case_id=case.id,
        detail=f"v{current.version.number}",
    )
    notify(case.member, topic=f"activity:{case.id}", endpoint="activities.member_view")
    return completion


# --- The verification queue ---------------------------------------------------------------------


def verification_queue_query(user: User):
    """Submitted activities of the cases `user` may see, oldest first."""
    return (
        select(ActivityProgress)
        .join(Case, Case.id == ActivityProgress.case_id)
        .where(ActivityProgress.status == ActivityStatus.SUBMITTED, *worklist_cases(user))
        .options(contains_eager(ActivityProgress.case).joinedload(Case.member))
        .order_by(ActivityProgress.changed_at, ActivityProgress.id)
    )


def active_titles(rows: list[ActivityProgress]) -> dict[tuple[int, str], str]:
    """(case id, activity key) → the activity's title in the case's active plan: one query."""
    case_ids = {row.case_id for row in rows}
    if not case_ids:
        return {}
    found = db.session.execute(
        select(PlanVersion.case_id, PlannedActivity.key, PlannedActivity.title)
        .join(Goal, Goal.version_id == PlanVersion.id)
        .join(PlannedActivity, PlannedActivity.goal_id == Goal.id)
        .where(PlanVersion.case_id.in_(case_ids), PlanVersion.status == PlanStatus.ACTIVE)
    )
    return {(case_id, key): title for case_id, key, title in found}


# --- The completion summary ---------------------------------------------------------------------


@dataclass
class SummaryRow:
    goal: str
    title: str
    kind: ActivityKind
    provider: str
    required: bool
    hours: Decimal | None
    status: ActivityStatus
    due_date: date | None
    completed_at: datetime | None
    learned: str
    practice_change: str


def summary_rows(current: Overview) -> list[SummaryRow]:
    rows = []
    for goal in current.goals:
        for item in goal.items:
            reflection = item.latest if item.status is ActivityStatus.COMPLETED else None
            rows.append(
                SummaryRow(
                    goal=goal.goal.title,
                    title=item.activity.title,
                    kind=item.activity.kind,
                    provider=item.activity.provider,
                    required=item.activity.required,
                    hours=item.activity.estimated_hours,
                    status=item.status,
                    due_date=item.activity.due_date,
                    completed_at=item.progress.completed_at if item.progress else None,
                    learned=reflection.learned if reflection else "",
                    practice_change=reflection.practice_change if reflection else "",
                )
            )
    return rows


# --- The catalog ----------------------------------------------------------------------------------


@dataclass
class EntryDetails:
    title_en: str
    title_fr: str
    kind: ActivityKind
    provider: str = ""
    url: str = ""
    estimated_hours: Decimal | None = None
    credits: Decimal | None = None
    categories: list[FactorCategory] = field(default_factory=list)


def catalog_entries(*, include_retired: bool = True) -> list[CatalogEntry]:
    query = select(CatalogEntry).order_by(CatalogEntry.active.desc(), CatalogEntry.title_en)
    if not include_retired:
        query = query.where(CatalogEntry.active.is_(True))
    return list(db.session.scalars(query))


def catalog_entry_or_404(entry_id: int) -> CatalogEntry:
    entry = db.session.get(CatalogEntry, entry_id)
    if entry is None:
        abort(404)
    return entry


def save_entry(entry: CatalogEntry | None, details: EntryDetails, *, by: User) -> CatalogEntry:
    if entry is None:
        entry = CatalogEntry()
        db.session.add(entry)
    entry.title_en = details.title_en.strip()
    entry.title_fr = details.title_fr.strip()
    entry.kind = details.kind
    entry.provider = details.provider.strip()
    entry.url = details.url.strip()
    entry.estimated_hours = details.estimated_hours
    entry.credits = details.credits
    entry.factor_categories = ",".join(c.value for c in details.categories)
    entry.updated_at = clock.now()
    entry.updated_by_id = by.id
    db.session.flush()
    record("catalog.saved", actor=by, object_type="catalog_entry", object_id=entry.id)
    return entry


def set_entry_active(entry: CatalogEntry, active: bool, *, by: User) -> None:
    entry.active = active
    entry.updated_at = clock.now()
    entry.updated_by_id = by.id
    record(
        "catalog.reactivated" if active else "catalog.retired",
        actor=by,
        object_type="catalog_entry",
        object_id=entry.id,
    )


def add_from_catalog(
    draft: PlanVersion,
    goal: Goal,
    entry: CatalogEntry,
    *,
    language: str | None,
    due_date: date | None,
    required: bool,
) -> PlannedActivity:
    """Copy a catalog entry into the plan draft, in the member's language. A copy: changing the
    catalog later never rewrites a plan."""
    if not entry.active:
        raise ActivityError("retired")
    activity = plan.save_activity(
        draft,
        None,
        goal=goal,
        details=plan.ActivityDetails(
            title=entry.title_in(language),
            kind=entry.kind,
            provider=entry.provider,
            url=entry.url,
            estimated_hours=entry.estimated_hours,
            due_date=due_date,
            required=required,
        ),
    )
    record(
        "catalog.copied_to_plan",
        object_type="catalog_entry",
        object_id=entry.id,
        case_id=draft.case_id,
    )
    return activity
