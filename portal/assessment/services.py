"""Authoring, releasing and reading assessments; recording the member's perspective.

Released versions are never modified: every function that changes content refuses anything but a
draft. Functions add to the session; the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from flask import abort
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.assessment.models import (
    Acknowledgement,
    AssessmentVersion,
    Factor,
    FactorCategory,
    HistoryEntry,
    MatterKind,
    PerspectiveEntry,
    Position,
    Priority,
    VersionStatus,
)
from portal.audit.services import record, record_denied
from portal.auth.models import User
from portal.cases.models import Case, Stage
from portal.cases.services import change_stage, ensure_case_open, touch
from portal.extensions import db
from portal.notifications.services import notify
from portal.validators import visible_text

PERIOD_YEARS = 10


class AssessmentError(Exception):
    """Refused for a reason the author can be told (translated by the view)."""


def new_key() -> str:
    return uuid.uuid4().hex


# --- Loading -----------------------------------------------------------------------------------


def _versions(case: Case):
    return select(AssessmentVersion).where(AssessmentVersion.case_id == case.id)


def _with_content(query):
    return query.options(
        selectinload(AssessmentVersion.history),
        selectinload(AssessmentVersion.factors),
        joinedload(AssessmentVersion.released_by),
    )


def draft_of(case: Case) -> AssessmentVersion | None:
    return db.session.scalar(
        _with_content(_versions(case).where(AssessmentVersion.status == VersionStatus.DRAFT))
    )


def released_versions(case: Case) -> list[AssessmentVersion]:
    """Every released version, newest first (without their content)."""
    return list(
        db.session.scalars(
            _versions(case)
            .where(AssessmentVersion.status == VersionStatus.RELEASED)
            .order_by(AssessmentVersion.number.desc())
        )
    )


def released_version(case: Case, number: int | None = None) -> AssessmentVersion | None:
    """A released version with its content: `number`, or the latest."""
    query = _with_content(_versions(case).where(AssessmentVersion.status == VersionStatus.RELEASED))
    if number is None:
        query = query.order_by(AssessmentVersion.number.desc()).limit(1)
    else:
        query = query.where(AssessmentVersion.number == number)
    return db.session.scalar(query)


def _latest_released_id(case: Case):
    """The id of the case's latest released version, as a SQL scalar subquery (NULL if none)."""
    return (
        _versions(case)
        .with_only_columns(AssessmentVersion.id)
        .where(AssessmentVersion.status == VersionStatus.RELEASED)
        .order_by(AssessmentVersion.number.desc())
        .limit(1)
        .scalar_subquery()
    )


def workspace_versions(
    case: Case,
) -> tuple[AssessmentVersion | None, AssessmentVersion | None, list[AssessmentVersion]]:
    """For the staff page: the draft and the latest released version, both with their content,
    and every released version, newest first. The same few queries however many there are."""
    versions = released_versions(case)
    wanted = AssessmentVersion.status == VersionStatus.DRAFT
    if versions:
        wanted = or_(wanted, AssessmentVersion.id == versions[0].id)
    loaded = db.session.scalars(_with_content(_versions(case).where(wanted))).all()
    draft = next((v for v in loaded if v.status is VersionStatus.DRAFT), None)
    return draft, (versions[0] if versions else None), versions


def released_factors(case: Case) -> list[Factor]:
    """The contributing factors of the latest released version (one query); none before the
    first release."""
    latest = _latest_released_id(case)
    return list(
        db.session.scalars(
            select(Factor).where(Factor.version_id == latest).order_by(Factor.position)
        )
    )


def released_version_or_404(case: Case, number: int | None = None) -> AssessmentVersion:
    version = released_version(case, number)
    if version is None:
        if number is not None:
            record_denied("assessment.version_missing", object_type="case", object_id=case.id)
        abort(404)
    return version


def record_view(version: AssessmentVersion, *, case: Case, how: str = "page") -> None:
    """Every view of an assessment, by anyone, is an audit event."""
    record(
        "assessment.viewed",
        object_type="assessment_version",
        object_id=version.id,
        case_id=case.id,
        detail=f"{how} v{version.number}" if version.number else f"{how} draft",
    )


# --- Authoring (drafts only) -------------------------------------------------------------------


def start_draft(case: Case, *, by: User) -> AssessmentVersion:
    """The case's draft: the existing one, or a new one (a copy of the latest released version
    when there is one, so that a correction starts from what the member has seen)."""
    existing = draft_of(case)
    if existing is not None:
        return existing
    latest = released_version(case)
    this_year = clock.now().year
    draft = AssessmentVersion(
        case_id=case.id,
        status=VersionStatus.DRAFT,
        period_start_year=latest.period_start_year if latest else this_year - PERIOD_YEARS + 1,
        period_end_year=latest.period_end_year if latest else this_year,
        member_rate=latest.member_rate if latest else None,
        peer_rate=latest.peer_rate if latest else None,
        narrative=latest.narrative if latest else "",
        created_by_id=by.id,
    )
    if latest:
        draft.history = [
            HistoryEntry(year=e.year, kind=e.kind, count=e.count) for e in latest.history
        ]
        draft.factors = [
            Factor(
                key=f.key,
                position=f.position,
                category=f.category,
                description=f.description,
                priority=f.priority,
            )
            for f in latest.factors
        ]
    db.session.add(draft)
    db.session.flush()
    record(
        "assessment.draft_started",
        object_type="assessment_version",
        object_id=draft.id,
        case_id=case.id,
    )
    return draft


def _require_draft(version: AssessmentVersion) -> None:
    if not version.is_draft:
        raise AssessmentError("released versions cannot be changed")


def _edited(version: AssessmentVersion, action: str, case_id: int) -> None:
    version.updated_at = clock.now()
    record(action, object_type="assessment_version", object_id=version.id, case_id=case_id)


def update_summary(
    draft: AssessmentVersion,
    *,
    period_start_year: int,
    period_end_year: int,
    member_rate: Decimal | None,
    peer_rate: Decimal | None,
    narrative: str,
    figures_note: str | None = None,
) -> None:
    _require_draft(draft)
    _correct_figures(
        draft,
        changed=(period_start_year, period_end_year, member_rate, peer_rate)
        != (draft.period_start_year, draft.period_end_year, draft.member_rate, draft.peer_rate),
        note=figures_note,
    )
    if period_end_year < period_start_year:
        raise AssessmentError("period_order")
    if period_end_year - period_start_year + 1 > PERIOD_YEARS:
        raise AssessmentError("period_length")
    draft.period_start_year = period_start_year
    draft.period_end_year = period_end_year
    draft.member_rate = member_rate
    draft.peer_rate = peer_rate
    draft.narrative = narrative.strip()
    # History outside the new period would be hidden from every chart and table: drop it.
    draft.history = [e for e in draft.history if period_start_year <= e.year <= period_end_year]
    _edited(draft, "assessment.draft_edited", draft.case_id)


def set_history(
    draft: AssessmentVersion,
    counts: dict[tuple[int, MatterKind], int],
    figures_note: str | None = None,
) -> None:
    """Replace the draft's history with `counts` ((year, kind) → number of matters)."""
    _require_draft(draft)
    years = range(draft.period_start_year, draft.period_end_year + 1)
    before = {(e.year, e.kind): e.count for e in draft.history}
    after = {key: n for key, n in counts.items() if n > 0 and key[0] in years}
    _correct_figures(draft, changed=before != after, note=figures_note)
    # Delete the old cells before inserting the new: the flush order would otherwise insert first
    # and trip the one-cell-per-(year, kind) constraint.
    draft.history.clear()
    db.session.flush()
    draft.history.extend(
        HistoryEntry(year=year, kind=kind, count=count)
        for (year, kind), count in sorted(counts.items())
        if count > 0 and year in years
    )
    _edited(draft, "assessment.draft_edited", draft.case_id)


def _correct_figures(draft: AssessmentVersion, *, changed: bool, note: str | None) -> None:
    """A figure computed from the register (portal/identification) is corrected only with a
    note, appended to the draft's notes with the day it was made."""
    if draft.figures_source != "register" or not changed:
        return
    note = visible_text(note)
    if not note:
        raise AssessmentError("figures_note")
    line = f"{clock.now().date().isoformat()}: {note}"
    draft.figures_notes = f"{draft.figures_notes}\n{line}" if draft.figures_notes else line


def add_factor(
    draft: AssessmentVersion, *, category: FactorCategory, description: str, priority: Priority
) -> Factor:
    _require_draft(draft)
    position = max((f.position for f in draft.factors), default=0) + 1
    factor = Factor(
        key=new_key(),
        position=position,
        category=category,
        description=description.strip(),
        priority=priority,
    )
    draft.factors.append(factor)
    _edited(draft, "assessment.factor_added", draft.case_id)
    return factor


def draft_factor_or_404(draft: AssessmentVersion, factor_id: int) -> Factor:
    factor = next((f for f in draft.factors if f.id == factor_id), None)
    if factor is None:
        abort(404)
    return factor


def update_factor(
    draft: AssessmentVersion,
    factor: Factor,
    *,
    category: FactorCategory,
    description: str,
    priority: Priority,
) -> None:
    _require_draft(draft)
    factor.category = category
    factor.description = description.strip()
    factor.priority = priority
    _edited(draft, "assessment.factor_edited", draft.case_id)


def remove_factor(draft: AssessmentVersion, factor: Factor) -> None:
    _require_draft(draft)
    draft.factors.remove(factor)
    _edited(draft, "assessment.factor_removed", draft.case_id)


def release(draft: AssessmentVersion, *, case: Case, by: User, change_note: str | None) -> None:
    """Freeze the draft as the next released version, show it to the member and tell them."""
    _require_draft(draft)
    if not draft.factors:
        raise AssessmentError("no_factors")
    if not draft.narrative:
        raise AssessmentError("no_narrative")
    previous = db.session.scalar(
        select(func.max(AssessmentVersion.number)).where(AssessmentVersion.case_id == case.id)
    )
    if previous and not (change_note or "").strip():
        raise AssessmentError("no_change_note")
    now = clock.now()
    draft.number = (previous or 0) + 1
    draft.status = VersionStatus.RELEASED
    draft.change_note = (change_note or "").strip() or None
    draft.released_at = now
    draft.released_by_id = by.id
    draft.updated_at = now
    if case.stage is Stage.REFERRED:
        change_stage(case, Stage.ASSESSMENT, by=by)
    touch(case)
    record(
        "assessment.released",
        object_type="assessment_version",
        object_id=draft.id,
        case_id=case.id,
        detail=f"v{draft.number}",
    )
    notify(case.member, topic=f"assessment:{case.id}", endpoint="assessment.member_view")


# --- The member's perspective ------------------------------------------------------------------


@dataclass
class FactorResponse:
    factor_key: str
    position: Position | None
    comment: str


def record_perspective(
    version: AssessmentVersion,
    *,
    case: Case,
    member: User,
    responses: list[FactorResponse],
    overall: str,
) -> int:
    """Append what the member wrote (skipping blank answers); returns how many entries."""
    ensure_case_open(case)
    known = {f.key for f in version.factors}
    entries = [
        PerspectiveEntry(
            case_id=case.id,
            version_id=version.id,
            factor_key=r.factor_key,
            position=r.position,
            comment=r.comment.strip(),
            author_id=member.id,
        )
        for r in responses
        if r.factor_key in known and (r.position is not None or r.comment.strip())
    ]
    if overall.strip():
        entries.append(
            PerspectiveEntry(
                case_id=case.id,
                version_id=version.id,
                factor_key=None,
                comment=overall.strip(),
                author_id=member.id,
            )
        )
    if not entries:
        return 0
    db.session.add_all(entries)
    touch(case)
    record(
        "assessment.perspective_added",
        actor=member,
        object_type="assessment_version",
        object_id=version.id,
        case_id=case.id,
        detail=f"{len(entries)} entries",
    )
    notify(
        case.lead_advisor,
        topic=f"assessment-response:{case.id}",
        endpoint="assessment.staff_view",
        case_id=case.id,
    )
    return len(entries)


def perspectives_of(case: Case) -> list[PerspectiveEntry]:
    """Everything the member has contributed, oldest first."""
    return list(
        db.session.scalars(
            select(PerspectiveEntry)
            .where(PerspectiveEntry.case_id == case.id)
            .options(joinedload(PerspectiveEntry.version))
            .order_by(PerspectiveEntry.created_at, PerspectiveEntry.id)
        )
    )


@dataclass(frozen=True)
class MemberResponses:
    """What the member has done about the latest released version."""

    acknowledged: bool
    has_perspective: bool


def member_responses(case: Case) -> MemberResponses | None:
    """Whether the member has reviewed the latest released version and added their perspective;
    None while nothing is released. One query, for the member's next steps."""
    latest = _latest_released_id(case)
    version_id, acknowledged, perspective = db.session.execute(
        select(
            latest,
            exists().where(Acknowledgement.version_id == latest),
            exists().where(PerspectiveEntry.case_id == case.id),
        )
    ).one()
    if version_id is None:
        return None
    return MemberResponses(acknowledged=bool(acknowledged), has_perspective=bool(perspective))


def perspectives_by_factor(entries: list[PerspectiveEntry]) -> dict[str | None, list]:
    grouped: dict[str | None, list] = {}
    for entry in entries:
        grouped.setdefault(entry.factor_key, []).append(entry)
    return grouped


def acknowledgement_of(version: AssessmentVersion) -> Acknowledgement | None:
    return db.session.get(Acknowledgement, version.id)


def acknowledge(version: AssessmentVersion, *, case: Case, member: User) -> bool:
    """Record that the member has reviewed `version` (once); False if already acknowledged."""
    ensure_case_open(case)
    if acknowledgement_of(version) is not None:
        return False
    db.session.add(Acknowledgement(version_id=version.id, member_id=member.id))
    touch(case)
    record(
        "assessment.acknowledged",
        actor=member,
        object_type="assessment_version",
        object_id=version.id,
        case_id=case.id,
    )
    notify(
        case.lead_advisor,
        topic=f"assessment-response:{case.id}",
        endpoint="assessment.staff_view",
        case_id=case.id,
    )
    return True


def history_table(version: AssessmentVersion) -> list[tuple[int, dict[MatterKind, int], int]]:
    """Rows (year, counts by kind, total) for every year of the period, oldest first."""
    counts = {(e.year, e.kind): e.count for e in version.history}
    rows = []
    for year in range(version.period_start_year, version.period_end_year + 1):
        by_kind = {kind: counts.get((year, kind), 0) for kind in MatterKind}
        rows.append((year, by_kind, sum(by_kind.values())))
    return rows
