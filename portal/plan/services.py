"""Drafting, sharing, revising and signing off the education plan; recording the member's input.

A shared or active version is never modified: revising starts a new draft copied from the latest
version, with the same goal and activity keys, so versions can be compared item by item.
Functions add to the session; the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.audit.services import record, record_denied
from portal.auth.models import User
from portal.cases.models import Case, Stage
from portal.cases.services import change_stage, ensure_case_open, touch
from portal.extensions import db
from portal.notifications.services import notify
from portal.plan.models import (
    ActivityKind,
    Goal,
    GoalFactor,
    LearningPreference,
    PlanInput,
    PlannedActivity,
    PlanStatus,
    PlanVersion,
)

VISIBLE_TO_MEMBER = (PlanStatus.SHARED, PlanStatus.ACTIVE, PlanStatus.SUPERSEDED)


class PlanError(Exception):
    """Refused for a reason the user can be told (the view translates the code)."""


def _new_key() -> str:
    return uuid.uuid4().hex


# --- Loading -----------------------------------------------------------------------------------


def _with_content(query):
    """A version with its goals, their factors and activities, and who signed it: three queries
    however large the plan."""
    return query.options(
        selectinload(PlanVersion.goals).options(
            joinedload(Goal.factor_links), selectinload(Goal.activities)
        ),
        joinedload(PlanVersion.member_agreed_by),
        joinedload(PlanVersion.approved_by),
    )


def _versions(case: Case):
    return select(PlanVersion).where(PlanVersion.case_id == case.id)


def draft_of(case: Case) -> PlanVersion | None:
    return db.session.scalar(
        _with_content(_versions(case).where(PlanVersion.status == PlanStatus.DRAFT))
    )


def shared_versions(case: Case) -> list[PlanVersion]:
    """Every version the member has been shown, newest first (without content)."""
    return list(
        db.session.scalars(
            _versions(case)
            .where(PlanVersion.status.in_(VISIBLE_TO_MEMBER))
            .order_by(PlanVersion.number.desc())
        )
    )


def shared_version(case: Case, number: int | None = None) -> PlanVersion | None:
    """A version shown to the member, with content: `number`, or the latest."""
    query = _with_content(_versions(case).where(PlanVersion.status.in_(VISIBLE_TO_MEMBER)))
    if number is None:
        query = query.order_by(PlanVersion.number.desc()).limit(1)
    else:
        query = query.where(PlanVersion.number == number)
    return db.session.scalar(query)


def workspace_versions(
    case: Case,
) -> tuple[PlanVersion | None, PlanVersion | None, list[PlanVersion]]:
    """For the staff page: the draft and the latest shared version, both with their content, and
    every shared version, newest first. The same few queries however many there are."""
    versions = shared_versions(case)
    wanted = PlanVersion.status == PlanStatus.DRAFT
    if versions:
        wanted = or_(wanted, PlanVersion.id == versions[0].id)
    loaded = db.session.scalars(_with_content(_versions(case).where(wanted))).all()
    draft = next((v for v in loaded if v.status is PlanStatus.DRAFT), None)
    return draft, (versions[0] if versions else None), versions


def shared_version_or_404(case: Case, number: int | None = None) -> PlanVersion:
    version = shared_version(case, number)
    if version is None:
        if number is not None:
            record_denied("plan.version_missing", object_type="case", object_id=case.id)
        abort(404)
    return version


def latest_shared_with_input(case: Case) -> tuple[PlanVersion, bool] | None:
    """The latest version shown to the member (without content), and whether they have given
    input on it; None before the first is shared. One query, for the member's next steps."""
    row = db.session.execute(
        _versions(case)
        .add_columns(exists().where(PlanInput.version_id == PlanVersion.id))
        .where(PlanVersion.status.in_(VISIBLE_TO_MEMBER))
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).first()
    return (row[0], bool(row[1])) if row else None


def active_version(case: Case) -> PlanVersion | None:
    return db.session.scalar(
        _with_content(_versions(case).where(PlanVersion.status == PlanStatus.ACTIVE))
    )


def record_view(version: PlanVersion, *, case: Case, how: str = "page") -> None:
    record(
        "plan.viewed",
        object_type="plan_version",
        object_id=version.id,
        case_id=case.id,
        detail=f"{how} v{version.number}" if version.number else f"{how} draft",
    )


# --- Drafting ----------------------------------------------------------------------------------


def start_draft(case: Case, *, by: User) -> PlanVersion:
    """The case's draft: the existing one, or a new one copied from the latest shared version."""
    existing = draft_of(case)
    if existing is not None:
        return existing
    latest = shared_version(case)
    draft = PlanVersion(case_id=case.id, status=PlanStatus.DRAFT, created_by_id=by.id)
    if latest:
        draft.goals = [_copy_goal(goal) for goal in latest.goals]
    db.session.add(draft)
    db.session.flush()
    record("plan.draft_started", object_type="plan_version", object_id=draft.id, case_id=case.id)
    return draft


def _copy_goal(goal: Goal) -> Goal:
    return Goal(
        key=goal.key,
        position=goal.position,
        title=goal.title,
        description=goal.description,
        factor_links=[GoalFactor(factor_key=k) for k in goal.factor_keys],
        activities=[
            PlannedActivity(
                key=a.key,
                position=a.position,
                title=a.title,
                kind=a.kind,
                provider=a.provider,
                url=a.url,
                estimated_hours=a.estimated_hours,
                due_date=a.due_date,
                required=a.required,
            )
            for a in goal.activities
        ],
    )


def _require_draft(version: PlanVersion) -> None:
    if not version.is_draft:
        raise PlanError("not_draft")


def _edited(draft: PlanVersion, action: str) -> None:
    record(action, object_type="plan_version", object_id=draft.id, case_id=draft.case_id)


def draft_goal_or_404(draft: PlanVersion, goal_id: int) -> Goal:
    goal = next((g for g in draft.goals if g.id == goal_id), None)
    if goal is None:
        abort(404)
    return goal


def draft_activity_or_404(draft: PlanVersion, activity_id: int) -> PlannedActivity:
    for goal in draft.goals:
        for activity in goal.activities:
            if activity.id == activity_id:
                return activity
    abort(404)


def save_goal(
    draft: PlanVersion,
    goal: Goal | None,
    *,
    title: str,
    description: str,
    factor_keys: list[str],
) -> Goal:
    """Add a goal (goal=None) or change one, linked to the given contributing factors."""
    _require_draft(draft)
    if goal is None:
        goal = Goal(key=_new_key(), position=max((g.position for g in draft.goals), default=0) + 1)
        draft.goals.append(goal)
    goal.title = title.strip()
    goal.description = description.strip()
    wanted = set(factor_keys)
    for link in [link for link in goal.factor_links if link.factor_key not in wanted]:
        goal.factor_links.remove(link)
    existing = {link.factor_key for link in goal.factor_links}
    goal.factor_links.extend(GoalFactor(factor_key=key) for key in sorted(wanted - existing))
    _edited(draft, "plan.goal_saved")
    return goal


def remove_goal(draft: PlanVersion, goal: Goal) -> None:
    _require_draft(draft)
    draft.goals.remove(goal)
    _edited(draft, "plan.goal_removed")


@dataclass
class ActivityDetails:
    title: str
    kind: ActivityKind
    provider: str = ""
    url: str = ""
    estimated_hours: Decimal | None = None
    due_date: date | None = None
    required: bool = True


def save_activity(
    draft: PlanVersion, activity: PlannedActivity | None, *, goal: Goal, details: ActivityDetails
) -> PlannedActivity:
    """Add an activity under `goal` (activity=None) or change one (possibly moving it)."""
    _require_draft(draft)
    if activity is None:
        activity = PlannedActivity(key=_new_key(), position=0)
    if activity.goal is not goal:
        if activity.goal is not None:
            activity.goal.activities.remove(activity)
        activity.position = max((a.position for a in goal.activities), default=0) + 1
        goal.activities.append(activity)
    activity.title = details.title.strip()
    activity.kind = details.kind
    activity.provider = details.provider.strip()
    activity.url = details.url.strip()
    activity.estimated_hours = details.estimated_hours
    activity.due_date = details.due_date
    activity.required = details.required
    _edited(draft, "plan.activity_saved")
    return activity


def remove_activity(draft: PlanVersion, activity: PlannedActivity) -> None:
    _require_draft(draft)
    activity.goal.activities.remove(activity)
    _edited(draft, "plan.activity_removed")


def share(draft: PlanVersion, *, case: Case, by: User, change_note: str | None) -> None:
    """Freeze the draft as the next version and show it to the member for input and sign-off."""
    _require_draft(draft)
    if not draft.goals:
        raise PlanError("no_goals")
    if any(not goal.activities for goal in draft.goals):
        raise PlanError("goal_without_activity")
    previous = db.session.scalar(
        select(func.max(PlanVersion.number)).where(PlanVersion.case_id == case.id)
    )
    if previous and not (change_note or "").strip():
        raise PlanError("no_change_note")
    now = clock.now()
    # The member is asked about the newest version only; older shared ones step aside. An active
    # plan stays active until the new version is signed off by both sides.
    for older in db.session.scalars(_versions(case).where(PlanVersion.status == PlanStatus.SHARED)):
        older.status = PlanStatus.SUPERSEDED
    draft.number = (previous or 0) + 1
    draft.status = PlanStatus.SHARED
    draft.change_note = (change_note or "").strip() or None
    draft.shared_at = now
    draft.shared_by_id = by.id
    if case.stage in (Stage.REFERRED, Stage.ASSESSMENT):
        change_stage(case, Stage.PLANNING, by=by)
    touch(case)
    record(
        "plan.shared",
        object_type="plan_version",
        object_id=draft.id,
        case_id=case.id,
        detail=f"v{draft.number}",
    )
    notify(case.member, topic=f"plan:{case.id}", endpoint="plan.member_view")


# --- Sign-off ----------------------------------------------------------------------------------


def _activate_if_signed(version: PlanVersion, *, case: Case, by: User) -> bool:
    if version.member_agreed_at is None or version.approved_at is None:
        return False
    for previous in db.session.scalars(
        _versions(case).where(PlanVersion.status == PlanStatus.ACTIVE, PlanVersion.id != version.id)
    ):
        previous.status = PlanStatus.SUPERSEDED
    version.status = PlanStatus.ACTIVE
    version.activated_at = clock.now()
    if case.stage is not Stage.CLOSED:
        change_stage(case, Stage.ONGOING_SUPPORT, by=by)
    record(
        "plan.activated",
        actor=by,
        object_type="plan_version",
        object_id=version.id,
        case_id=case.id,
        detail=f"v{version.number}",
    )
    return True


def _require_open_for_sign_off(version: PlanVersion) -> None:
    if version.status is not PlanStatus.SHARED:
        raise PlanError("not_open")


def member_agrees(version: PlanVersion, *, case: Case, member: User) -> bool:
    """The member agrees to `version`. Returns True when this made the plan active."""
    ensure_case_open(case)
    _require_open_for_sign_off(version)
    if version.member_agreed_at is None:
        version.member_agreed_at = clock.now()
        version.member_agreed_by_id = member.id
        record(
            "plan.member_agreed",
            actor=member,
            object_type="plan_version",
            object_id=version.id,
            case_id=case.id,
            detail=f"v{version.number}",
        )
        notify(
            case.lead_advisor,
            topic=f"plan-response:{case.id}",
            endpoint="plan.staff_view",
            case_id=case.id,
        )
    touch(case)
    return _activate_if_signed(version, case=case, by=member)


def advisor_approves(version: PlanVersion, *, case: Case, advisor: User) -> bool:
    """The lead advisor approves `version`. Returns True when this made the plan active."""
    _require_open_for_sign_off(version)
    if advisor.id != case.lead_advisor_id:
        raise PlanError("not_lead")
    if version.approved_at is None:
        version.approved_at = clock.now()
        version.approved_by_id = advisor.id
        record(
            "plan.approved",
            actor=advisor,
            object_type="plan_version",
            object_id=version.id,
            case_id=case.id,
            detail=f"v{version.number}",
        )
    touch(case)
    activated = _activate_if_signed(version, case=case, by=advisor)
    if activated:
        notify(case.member, topic=f"plan:{case.id}", endpoint="plan.member_view")
    return activated


# --- The member's input ------------------------------------------------------------------------


@dataclass
class MemberInput:
    learning_preferences: list[LearningPreference] = field(default_factory=list)
    availability: str = ""
    own_goals: str = ""
    suggested_activities: str = ""
    target_key: str | None = None
    comment: str = ""

    def is_empty(self) -> bool:
        return not (
            self.learning_preferences
            or self.availability.strip()
            or self.own_goals.strip()
            or self.suggested_activities.strip()
            or self.comment.strip()
        )


def item_keys(version: PlanVersion) -> set[str]:
    return {g.key for g in version.goals} | {a.key for g in version.goals for a in g.activities}


def record_input(
    version: PlanVersion, *, case: Case, member: User, given: MemberInput
) -> PlanInput:
    ensure_case_open(case)
    if given.is_empty():
        raise PlanError("empty_input")
    if given.target_key and given.target_key not in item_keys(version):
        raise PlanError("unknown_target")
    entry = PlanInput(
        case_id=case.id,
        version_id=version.id,
        author_id=member.id,
        learning_preferences=",".join(p.value for p in given.learning_preferences) or None,
        availability=given.availability.strip() or None,
        own_goals=given.own_goals.strip() or None,
        suggested_activities=given.suggested_activities.strip() or None,
        target_key=given.target_key if given.comment.strip() else None,
        comment=given.comment.strip() or None,
    )
    db.session.add(entry)
    touch(case)
    record(
        "plan.input_added",
        actor=member,
        object_type="plan_version",
        object_id=version.id,
        case_id=case.id,
    )
    notify(
        case.lead_advisor,
        topic=f"plan-response:{case.id}",
        endpoint="plan.staff_view",
        case_id=case.id,
    )
    return entry


def inputs_of(case: Case) -> list[PlanInput]:
    return list(
        db.session.scalars(
            select(PlanInput)
            .where(PlanInput.case_id == case.id)
            .options(joinedload(PlanInput.version))
            .order_by(PlanInput.created_at, PlanInput.id)
        )
    )


# --- Comparing versions ------------------------------------------------------------------------

GOAL_FIELDS = ("title", "description", "factor_keys")
ACTIVITY_FIELDS = (
    "title",
    "kind",
    "provider",
    "url",
    "estimated_hours",
    "due_date",
    "required",
    "goal_title",
)


@dataclass
class Change:
    kind: str  # "added", "removed" or "changed"
    item: str  # "goal" or "activity"
    title: str
    fields: list[tuple[str, object, object]] = field(default_factory=list)  # (name, before, after)


def _goal_values(goal: Goal) -> dict:
    return {"title": goal.title, "description": goal.description, "factor_keys": goal.factor_keys}


def _activity_values(activity: PlannedActivity) -> dict:
    return {
        "title": activity.title,
        "kind": activity.kind,
        "provider": activity.provider,
        "url": activity.url,
        "estimated_hours": activity.estimated_hours,
        "due_date": activity.due_date,
        "required": activity.required,
        "goal_title": activity.goal.title,
    }


def _diff(item: str, before: dict, after: dict, names: tuple[str, ...]) -> list[Change]:
    """`before`/`after`: key → (title, values)."""
    changes = []
    for key, (title, values) in after.items():
        if key not in before:
            changes.append(Change("added", item, title))
            continue
        old = before[key][1]
        changed = [(name, old[name], values[name]) for name in names if old[name] != values[name]]
        if changed:
            changes.append(Change("changed", item, title, changed))
    for key, (title, _values) in before.items():
        if key not in after:
            changes.append(Change("removed", item, title))
    return changes


def compare(older: PlanVersion, newer: PlanVersion) -> list[Change]:
    """What changed from `older` to `newer`: goals and activities added, removed or changed."""

    def goals(version):
        return {g.key: (g.title, _goal_values(g)) for g in version.goals}

    def activities(version):
        return {a.key: (a.title, _activity_values(a)) for g in version.goals for a in g.activities}

    return _diff("goal", goals(older), goals(newer), GOAL_FIELDS) + _diff(
        "activity", activities(older), activities(newer), ACTIVITY_FIELDS
    )
