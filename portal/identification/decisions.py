"""An advisor's decision on a screened member: refer (the case starts with its assessment figures
computed from the register), watch until a date, or not now for a stated reason. Every decision is
kept with the figures it was based on, and audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from portal import clock
from portal.assessment.models import AssessmentVersion
from portal.assessment.services import set_history, start_draft
from portal.audit.services import record
from portal.auth.models import User
from portal.cases.models import Case
from portal.cases.services import Referral, refer_member
from portal.extensions import db
from portal.identification.models import Decision, ScreeningDecision
from portal.identification.profile import Profile
from portal.identification.register import exposure_years, years_before
from portal.validators import visible_text


class DecisionError(Exception):
    """Refused for a reason the advisor can be told (the view words it)."""


def _decide(
    profile: Profile,
    decision: Decision,
    *,
    by: User,
    reason: str,
    review_on: date | None = None,
    case: Case | None = None,
) -> ScreeningDecision:
    reason = visible_text(reason)
    if not reason:
        raise DecisionError("reason")
    row = ScreeningDecision(
        member_id=profile.member.id,
        run_id=profile.run.id,
        decision=decision,
        reason=reason,
        review_on=review_on,
        case_id=case.id if case else None,
        figures=profile.figures,
        decided_by_id=by.id,
    )
    db.session.add(row)
    db.session.flush()
    record(
        f"screening.{decision.value}",
        actor=by,
        object_type="register_member",
        object_id=profile.member.id,
        case_id=case.id if case else None,
        detail=(
            f"{profile.member.member_number}: O={profile.observed} E={profile.expected:.2f} "
            f"shrunken={profile.shrunken:.2f} P(>2)={profile.probability:.2f} "
            f"limit={profile.limit or '-'} rising={profile.rising} run={profile.run.id}"
        ),
    )
    return row


def watch(profile: Profile, *, by: User, reason: str, review_on: date) -> ScreeningDecision:
    if review_on <= clock.now().date():
        raise DecisionError("review_on")
    return _decide(profile, Decision.WATCH, by=by, reason=reason, review_on=review_on)


def not_now(profile: Profile, *, by: User, reason: str) -> ScreeningDecision:
    return _decide(profile, Decision.NOT_NOW, by=by, reason=reason)


def refer(profile: Profile, *, by: User, lead: User, reason: str) -> Case:
    """Create the member's account, case and invitation as a manual referral does, with the
    assessment draft's history and rates computed from the register. Raises DuplicateEmail or
    DuplicateMemberNumber (cases.services) when the member already has an account or a case."""
    if profile.in_program:
        raise DecisionError("in_program")
    if not visible_text(reason):
        raise DecisionError("reason")
    member = profile.member
    case = refer_member(
        Referral(
            name=member.name,
            email=member.email,
            member_number=member.member_number,
            specialty=member.type_of_work.name_en,
            province=member.province,
            reason=visible_text(reason),
            language=member.language,
            type_of_work=member.type_of_work,
        ),
        referred_by=by,
        lead_advisor=lead,
    )
    draft = start_draft(case, by=by)
    fill_from_register(draft, profile)
    _decide(profile, Decision.REFER, by=by, reason=reason, case=case)
    return case


def fill_from_register(draft: AssessmentVersion, profile: Profile) -> None:
    """The draft's ten years of history per year and kind, and the member's and peers' rates, as
    the register has them on the profile's screening date."""
    run, member = profile.run, profile.member
    last_year = run.screening_date.year
    draft.period_end_year = last_year
    draft.period_start_year = last_year - run.parameters["window_years"] + 1
    set_history(
        draft,
        {(year, kind): n for year, by_kind, _ in profile.history for kind, n in by_kind.items()},
    )
    # The rates over the screening's own window, so that their ratio is the profile's O/E.
    start = years_before(run.screening_date, run.parameters["window_years"])
    since = np.array([member.member_since], dtype="datetime64[D]")
    years = float(exposure_years(since, start, run.screening_date)[0])
    group = run.peer_groups.get(str(member.type_of_work_id), {})
    draft.member_rate = Decimal(f"{profile.observed / years:.3f}") if years else None
    draft.peer_rate = Decimal(f"{group.get('rate', 0.0):.3f}") if group else None
    draft.figures_source = "register"
    draft.figures_computed_at = clock.now()
