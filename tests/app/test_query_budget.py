"""Every main page of each role runs at most QUERY_BUDGET queries per request (the session and user
lookup included), and the same number whether the case holds a little or a lot: no N+1.

One case is measured twice: first small (an active plan of four activities, a few messages,
check-ins and audit events), then after much more of everything was added through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.activities import services as activities
from portal.assessment import services as assessment
from portal.assessment.models import FactorCategory, Priority
from portal.audit.services import record
from portal.cases.models import CaseTeamMember, Stage
from portal.cases.services import grant_break_glass
from portal.checkins.models import CheckInStatus
from portal.extensions import db
from portal.messaging.models import MessageKind
from portal.plan import services as plan
from portal.plan.models import ActivityKind
from tests.activities.helpers import activate_plan, submit, upload
from tests.cases.helpers import add_check_in
from tests.messaging.helpers import checked, post, start_conversation

QUERY_BUDGET = 12

MEMBER_PAGES = (
    "/dashboard",
    "/assessment",
    "/plan",
    "/activities",
    "/activities/{key}",
    "/messages/",
    "/messages/{conversation}",
    "/check-ins",
    "/my-file/views",
)
STAFF_PAGES = (
    "/cases/",
    "/cases/{case}",
    "/cases/{case}/timeline",
    "/cases/{case}/assessment",
    "/cases/{case}/plan",
    "/cases/{case}/activities",
    "/cases/{case}/activities/{key}",
    "/messages/inbox",
    "/messages/{conversation}",
    "/verification",
    "/cases/{case}/check-ins",
)
ADMIN_PAGES = (
    "/admin/users",
    "/admin/audit",
    "/admin/outbox",
    "/admin/report",
    "/admin/cases",
)


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def queries_of_get(query_counter, test_client, url: str) -> int:
    """The queries of one GET of `url`, once a first visit has done its one-time writes (read
    markers, dismissed notifications)."""
    assert test_client.get(url).status_code == 200, url
    with query_counter() as queries:
        response = test_client.get(url)
    assert response.status_code == 200, url
    return queries.count


@pytest.fixture
def world(frozen_clock, make_member, make_staff, make_admin, make_case):
    """A member whose plan is active, with evidence, messages, check-ins, a staff view in their
    view log, and drafts of the next assessment and plan versions; the lead advisor, a colleague
    on the team, an admin. (Every list has a row, so that the larger data adds only more rows.)"""
    lead = make_staff(name="Lead Advisor")
    colleague = make_staff(name="Team Colleague")
    case = make_case(member=make_member(name="Dr. Member"), lead=lead, stage=Stage.ASSESSMENT)
    db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
    db.session.commit()
    version = activate_plan(case, lead)
    key = version.goals[0].activities[0].key
    submit(case, "Teach-back workshop")
    conversation = start_conversation(case, case.member, uploads=[checked()])
    post(conversation, lead, MessageKind.STAFF, "An answer.")
    post(conversation, lead, MessageKind.NOTE, "A note.", uploads=[checked("n.pdf")])
    held = add_check_in(case, lead, in_days=-7, status=CheckInStatus.HELD)
    held.outcome_recorded_at = held.scheduled_at + timedelta(hours=1)
    held.outcome_recorded_by_id = lead.id
    add_check_in(case, lead, in_days=14)
    assessment.start_draft(case, by=lead)
    plan.start_draft(case, by=lead)
    record("case.viewed", actor=colleague, object_type="case", object_id=case.id, case_id=case.id)
    db.session.commit()
    return {
        "lead": lead,
        "colleague": colleague,
        "admin": make_admin(),
        "case": case,
        "key": key,
        "conversation": conversation,
    }


def _grow(world, make_member, make_staff, make_case) -> None:
    """Much more of everything every page shows, through the services."""
    case, lead, member = world["case"], world["lead"], world["case"].member
    # A second released assessment with more factors, more of the member's responses.
    draft = assessment.draft_of(case)
    for n in range(8):
        assessment.add_factor(
            draft,
            category=FactorCategory.DOCUMENTATION,
            description=f"Another factor {n}.",
            priority=Priority.MEDIUM,
        )
    assessment.release(draft, case=case, by=lead, change_note="More factors.")
    released = assessment.released_version(case)
    assessment.acknowledge(released, case=case, member=member)
    for n in range(6):
        assessment.record_perspective(
            released, case=case, member=member, responses=[], overall=f"My view {n}."
        )
    assessment.start_draft(case, by=lead)
    # A bigger plan, signed off, and the next draft.
    draft = plan.draft_of(case)
    factor_key = released.factors[0].key
    for n in range(10):
        goal = plan.save_goal(
            draft, None, title=f"Goal {n}", description="", factor_keys=[factor_key]
        )
        for m in range(3):
            plan.save_activity(
                draft,
                None,
                goal=goal,
                details=plan.ActivityDetails(
                    title=f"Activity {n}.{m}",
                    kind=ActivityKind.READING,
                    due_date=activities.local_today() + timedelta(days=m),
                ),
            )
    plan.share(draft, case=case, by=lead, change_note="A bigger plan.")
    for n in range(5):
        plan.record_input(
            draft, case=case, member=member, given=plan.MemberInput(comment=f"Thought {n}")
        )
    plan.member_agrees(draft, case=case, member=member)
    plan.advisor_approves(draft, case=case, advisor=lead)
    db.session.commit()
    plan.start_draft(case, by=lead)
    # Progress and evidence on many activities.
    for goal in plan.active_version(case).goals[2:]:
        for item in goal.activities:
            activities.submit_evidence(
                case,
                item,
                by=member,
                upload=upload(),
                learned="Learned.",
                practice_change="Changed.",
            )
    db.session.commit()
    # Messages, attachments, conversations; other members and their cases on the caseload.
    for n in range(30):
        post(world["conversation"], member, MessageKind.MEMBER, f"More {n}", uploads=[checked()])
        post(world["conversation"], lead, MessageKind.STAFF, f"Reply {n}")
    for n in range(8):
        start_conversation(case, member, subject=f"Question {n}")
        other = make_case(member=make_member(), lead=lead, stage=Stage.ONGOING_SUPPORT)
        start_conversation(other, other.member, subject=f"Other {n}")
        make_case(lead=make_staff())
    # Check-ins held, cancelled and upcoming; a break-glass opening; audit events.
    for n in range(10):
        add_check_in(case, lead, in_days=-30 - n, status=CheckInStatus.CANCELLED)
        add_check_in(case, lead, in_days=20 + n)
    grant_break_glass(case, staff=make_staff(), reason="Covering for the lead this week.")
    for _ in range(40):
        record("case.viewed", actor=lead, object_type="case", object_id=case.id, case_id=case.id)
    db.session.commit()


def _measure(query_counter, clients, world) -> dict[str, int]:
    values = {
        "case": world["case"].id,
        "key": world["key"],
        "conversation": world["conversation"].id,
    }
    counts = {}
    for role, pages in (
        ("member", MEMBER_PAGES),
        ("staff", STAFF_PAGES),
        ("admin", ADMIN_PAGES),
    ):
        for page in pages:
            url = page.format(**values)
            counts[f"{role} {url}"] = queries_of_get(query_counter, clients[role], url)
    return counts


def test_every_main_page_stays_within_budget_whatever_the_data(
    world, client_for, query_counter, make_member, make_staff, make_case
):
    clients = {
        "member": client_for(world["case"].member),
        "staff": client_for(world["lead"]),
        "admin": client_for(world["admin"]),
    }
    small = _measure(query_counter, clients, world)
    _grow(world, make_member, make_staff, make_case)
    large = _measure(query_counter, clients, world)
    print("\n".join(f"{small[page]:3d} {large[page]:3d}  {page}" for page in small))
    over = {page: count for page, count in large.items() if count > QUERY_BUDGET}
    assert not over, over
    grew = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert not grew, grew
