"""The screening queue, a register member's profile and the advisor's decisions, through the
pages as staff meet them; members never reach any of it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.assessment.models import AssessmentVersion
from portal.audit.models import AuditEvent
from portal.cases.models import Case, MemberProfile
from portal.extensions import db
from portal.identification.models import (
    Decision,
    RegisterMember,
    ScreeningDecision,
    ScreeningResult,
)
from portal.identification.screening import screen
from portal.identification.synthetic import generate
from tests.identification.helpers import load_register


@pytest.fixture
def screened(app, frozen_clock):
    today = clock.now().date()
    register = generate(1500, today=today, planted_high=8, planted_rising=4, seed=21)
    ids = load_register(register)
    run = screen(today, by=None, trigger="manual")
    db.session.commit()
    top = db.session.scalars(
        select(ScreeningResult).where(ScreeningResult.run_id == run.id).order_by("rank")
    ).first()
    return run, ids, top.member_id


def test_members_and_visitors_never_reach_identification(client, login, make_member, screened):
    _, _, member_id = screened
    pages = ["/identification/", f"/identification/members/{member_id}", "/identification/import"]
    for url in pages:
        assert client.get(url).status_code == 302  # to sign in
    login(make_member())
    for url in pages:
        assert client.get(url).status_code == 403
    assert client.post(f"/identification/members/{member_id}/not-now").status_code == 403


def test_the_queue_lists_the_most_severe_first(client, login, make_staff, screened):
    run, _, top_id = screened
    login(make_staff())
    page = client.get("/identification/")
    assert page.status_code == 200
    top = db.session.get(RegisterMember, top_id)
    assert top.name in page.text and "What the flags mean" in page.text
    assert page.text.index(f"/identification/members/{top_id}") < page.text.index("</tbody>")
    rows = page.text.count("<tr>") - 1
    assert 0 < rows <= run.parameters["queue_size"]
    rising = client.get("/identification/?flag=rising").text
    assert "Rising" in rising
    other = client.get(f"/identification/?type_of_work={top.type_of_work_id}&province=ZZ")
    assert other.status_code == 200  # an unknown filter value is ignored, not an error


def test_the_profile_explains_the_flags_and_is_audited(client, login, make_staff, screened):
    _, _, top_id = screened
    staff = make_staff()
    login(staff)
    page = client.get(f"/identification/members/{top_id}")
    assert page.status_code == 200
    assert "<svg" in page.text and "Funnel plot of peers" in page.text
    assert "Why this member is flagged" in page.text and "History per year" in page.text
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "register_member.viewed")
    ).one()
    assert event.actor_id == staff.id and event.object_id == top_id
    assert client.get("/identification/members/999999").status_code == 404


def test_refer_creates_the_case_with_figures_from_the_register(client, login, make_staff, screened):
    _, _, top_id = screened
    staff = make_staff()
    login(staff)
    page = client.get(f"/identification/members/{top_id}").text
    assert "matters in the last 10 years against" in page  # the reason, prefilled
    response = client.post(
        f"/identification/members/{top_id}/refer",
        data={
            "refer-reason": "High and rising; see the figures.",
            "refer-lead_advisor_id": staff.id,
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert response.location == f"/cases/{case.id}"
    draft = db.session.scalars(
        select(AssessmentVersion).where(AssessmentVersion.case_id == case.id)
    ).one()
    assert draft.figures_source == "register" and draft.member_rate and draft.peer_rate
    result = db.session.scalars(
        select(ScreeningResult).where(ScreeningResult.member_id == top_id)
    ).first()
    window = [e for e in draft.history]
    assert sum(e.count for e in window) >= 1
    assert float(draft.member_rate) / float(draft.peer_rate) == pytest.approx(
        result.ratio, rel=0.02
    )
    decision = db.session.scalars(select(ScreeningDecision)).one()
    assert decision.decision is Decision.REFER and decision.case_id == case.id
    assert decision.figures["observed"] == result.observed
    assert "screening.refer" in db.session.scalars(select(AuditEvent.action)).all()
    assert f'href="/identification/members/{top_id}"' not in client.get("/identification/").text


@pytest.mark.parametrize("blank", [" " * 5, "\u200b" * 25, "\u00a0\u2060 \u200b"])
def test_not_now_needs_a_real_reason(client, login, make_staff, screened, blank):
    _, _, top_id = screened
    login(make_staff())
    response = client.post(
        f"/identification/members/{top_id}/not-now", data={"not_now-reason": blank}
    )
    assert response.status_code == 400
    assert "spaces or invisible characters are not one" in response.text
    assert db.session.scalar(select(ScreeningDecision.id)) is None


def test_a_decided_member_comes_back_only_with_a_new_matter(
    client, login, make_staff, screened, frozen_clock
):
    _, _, top_id = screened
    staff = make_staff()
    login(staff)
    url = f"/identification/members/{top_id}"
    link = f'href="{url}"'
    response = client.post(
        f"{url}/not-now", data={"not_now-reason": "Matters already reviewed in 2025."}
    )
    assert response.status_code == 302
    assert link not in client.get("/identification/").text
    frozen_clock.advance(days=1)
    member = db.session.get(RegisterMember, top_id)
    member.last_matter_added_at = clock.now()
    db.session.commit()
    login(staff)  # a day later: signed in again
    assert link in client.get("/identification/").text


def test_watch_hides_the_member_until_the_review_date(
    client, login, make_staff, screened, frozen_clock
):
    _, _, top_id = screened
    staff = make_staff()
    login(staff)
    url = f"/identification/members/{top_id}"
    link = f'href="{url}"'
    today = clock.now().date()
    past = client.post(f"{url}/watch", data={"watch-reason": "Wait", "watch-review_on": str(today)})
    assert past.status_code == 400 and "Choose a date after today." in past.text
    review_on = today + timedelta(days=30)
    assert (
        client.post(
            f"{url}/watch",
            data={"watch-reason": "Recent matter under review", "watch-review_on": str(review_on)},
        ).status_code
        == 302
    )
    assert link not in client.get("/identification/").text
    frozen_clock.advance(days=31)
    login(staff)
    assert link in client.get("/identification/").text


def test_pages_in_french(client, login, make_staff, screened):
    _, _, top_id = screened
    login(make_staff(language="fr"))
    page = client.get("/identification/", headers={"Accept-Language": "fr"})
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert client.get(f"/identification/members/{top_id}").status_code == 200


def test_queue_and_profile_queries_do_not_grow_with_the_register(
    app, client, login, make_staff, query_counter, frozen_clock
):
    today = clock.now().date()
    login(make_staff())
    counts = []
    for size, seed in ((300, 1), (3000, 2)):
        register = generate(size, today=today, planted_high=3, seed=seed, prefix=f"S{size}")
        load_register(register)
        run = screen(today, by=None, trigger="manual")
        db.session.commit()
        member_id = db.session.scalars(
            select(ScreeningResult.member_id).where(ScreeningResult.run_id == run.id)
        ).first()
        with query_counter() as queue:
            client.get("/identification/")
        with query_counter() as profile:
            client.get(f"/identification/members/{member_id}")
        counts.append((queue.count, profile.count))
    assert counts[0] == counts[1]
    assert counts[1][0] <= 11 and counts[1][1] <= 16


def test_screen_now_and_the_cli(app, client, login, make_staff, screened):
    login(make_staff())
    response = client.post("/identification/screen", follow_redirects=True)
    assert "The register was screened" in response.text
    result = app.test_cli_runner().invoke(args=["identify", "screen"])
    assert result.exit_code == 0, result.output
    assert "flagged" in result.output


def test_types_of_work_are_a_managed_list(app):
    from portal.cases.services import type_of_work_named, types_of_work

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        types = types_of_work()
        assert {t.code for t in types} >= {"family_medicine", "emergency_medicine"}
        assert types[0].label == sorted(t.name_fr for t in types)[0]
    assert type_of_work_named("Médecine familiale").code == "family_medicine"
    assert type_of_work_named("EMERGENCY_MEDICINE").code == "emergency_medicine"


def test_only_a_member_with_an_open_case_is_in_the_program(
    client, login, make_staff, make_case, screened
):
    _, ids, top_id = screened
    case = make_case()
    in_program = next(i for i in ids.values() if i != top_id)
    case.member.name = "Dr. In Program"
    profile = db.session.get(MemberProfile, case.member_id)
    profile.member_number = db.session.get(RegisterMember, in_program).member_number
    db.session.commit()
    login(make_staff())
    assert "Refer to the program" in client.get(f"/identification/members/{top_id}").text
    page = client.get(f"/identification/members/{in_program}").text
    assert "This member is in the program" in page and "Refer to the program" not in page
