"""The member reads their assessment and gives their perspective; nothing they write is lost."""

import pytest

from portal.assessment.models import Acknowledgement, PerspectiveEntry
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.programme import release_assessment


@pytest.fixture
def released(make_case, make_staff):
    staff = make_staff()
    case = make_case(lead=staff)
    version = release_assessment(case, staff)
    db.session.query(OutboxEmail).delete()
    db.session.commit()
    return case, version


def test_member_adds_perspective_and_it_is_appended_never_overwritten(client, login, released):
    case, version = released
    login(case.member)
    key = version.factors[0].key
    first = client.post(
        "/assessment/versions/1/perspective",
        data={
            f"position_{key}": "agree_with_context",
            f"comment_{key}": "First.",
            "overall": "Overall view.",
        },
    )
    assert first.status_code == 302
    second = client.post(
        "/assessment/versions/1/perspective",
        data={f"position_{key}": "disagree", f"comment_{key}": "Second thoughts."},
    )
    assert second.status_code == 302
    entries = db.session.scalars(db.select(PerspectiveEntry).order_by(PerspectiveEntry.id)).all()
    assert [(e.factor_key, e.position and e.position.value, e.comment) for e in entries] == [
        (key, "agree_with_context", "First."),
        (None, None, "Overall view."),
        (key, "disagree", "Second thoughts."),
    ]
    page = client.get("/assessment").text
    assert "First." in page and "Second thoughts." in page and "Overall view." in page
    notified = db.session.scalars(db.select(OutboxEmail.to_address)).all()
    assert case.lead_advisor.email in notified


def test_an_empty_submission_is_refused_and_keeps_nothing(client, login, released):
    case, version = released
    login(case.member)
    response = client.post("/assessment/versions/1/perspective", data={"overall": "   "})
    assert response.status_code == 400
    assert "Choose a position or write a comment" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(PerspectiveEntry)) == 0


def test_a_blank_position_is_no_position(client, login, released):
    case, version = released
    login(case.member)
    blank = {f"position_{factor.key}": "   " for factor in version.factors}
    response = client.post("/assessment/versions/1/perspective", data=blank)
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(PerspectiveEntry)) == 0


def test_a_rejected_submission_keeps_what_the_member_typed(client, login, released):
    case, version = released
    login(case.member)
    key = version.factors[0].key
    response = client.post(
        "/assessment/versions/1/perspective",
        data={f"position_{key}": "nonsense", f"comment_{key}": "My long text."},
    )
    assert response.status_code == 400
    assert "My long text." in response.text


def test_staff_see_responses_beside_the_factors(client, login, released, make_staff):
    case, version = released
    login(case.member)
    key = version.factors[1].key
    client.post(
        "/assessment/versions/1/perspective",
        data={f"position_{key}": "disagree", f"comment_{key}": "Not my documentation."},
    )
    client.post("/assessment/versions/1/acknowledge")
    client.post("/logout")
    login(case.lead_advisor)
    page = client.get(f"/cases/{case.id}/assessment").text
    assert "Not my documentation." in page and "I disagree" in page
    assert "The member confirmed reviewing it" in page


def test_acknowledgement_is_recorded_once(client, login, released):
    case, _ = released
    login(case.member)
    client.post("/assessment/versions/1/acknowledge")
    client.post("/assessment/versions/1/acknowledge")
    assert db.session.scalar(db.select(db.func.count()).select_from(Acknowledgement)) == 1
    assert "You confirmed that you reviewed this version" in client.get("/assessment").text


def test_a_member_never_sees_another_members_assessment(client, login, released, make_case):
    case, _ = released
    other = make_case()
    login(other.member)
    assert "preparing your assessment" in client.get("/assessment").text
    assert client.get("/assessment/versions/1").status_code == 404
    assert client.get("/assessment/versions/1/print").status_code == 404
    assert client.post("/assessment/versions/1/acknowledge").status_code == 404
    assert client.get(f"/cases/{case.id}/assessment").status_code == 403


def test_earlier_versions_stay_readable(client, login, released):
    from portal.assessment import services

    case, version = released
    draft = services.start_draft(case, by=case.lead_advisor)
    services.update_factor(
        draft,
        draft.factors[0],
        category=draft.factors[0].category,
        description="Reworded.",
        priority=draft.factors[0].priority,
    )
    services.release(draft, case=case, by=case.lead_advisor, change_note="Reworded factor one.")
    db.session.commit()
    login(case.member)
    latest = client.get("/assessment").text
    assert "Reworded." in latest and "Reworded factor one." in latest
    earlier = client.get("/assessment/versions/1").text
    assert "Factor 1 described." in earlier and "This is an earlier version." in earlier


def test_print_view_is_in_the_members_language(client, login, released):
    case, _ = released
    case.member.language = "fr"
    db.session.commit()
    login(case.member)
    page = client.get("/assessment/versions/1/print")
    assert page.status_code == 200 and '<html lang="fr">' in page.text


def test_assessment_pages_query_count_does_not_grow_with_factors_or_responses(
    client, login, make_case, make_staff, query_counter
):
    from portal.assessment import services

    staff = make_staff()
    small_case, big_case = make_case(lead=staff), make_case(lead=staff)
    small = release_assessment(small_case, staff, factors=1)
    big = release_assessment(big_case, staff, factors=3)
    services.record_perspective(
        small,
        case=small_case,
        member=small_case.member,
        responses=[services.FactorResponse(small.factors[0].key, None, "One comment")],
        overall="",
    )
    for factor in big.factors:
        for n in range(5):
            services.record_perspective(
                big,
                case=big_case,
                member=big_case.member,
                responses=[services.FactorResponse(factor.key, None, f"Comment {n}")],
                overall="",
            )
    db.session.commit()

    def measure(case):
        login(case.member)
        client.get("/assessment")
        with query_counter() as member_page:
            client.get("/assessment")
        client.post("/logout")
        login(staff)
        client.get(f"/cases/{case.id}/assessment")
        with query_counter() as staff_page:
            client.get(f"/cases/{case.id}/assessment")
        client.post("/logout")
        return member_page.count, staff_page.count

    assert measure(small_case) == measure(big_case)
