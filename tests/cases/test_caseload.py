"""The staff caseload: per-case figures, sorting, filtering, the no-contact flag, and a query count
that does not grow with the number of cases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from portal import clock
from portal.cases.models import CaseTeamMember, Stage
from portal.checkins.models import CheckInStatus
from portal.extensions import db
from tests.activities.helpers import activate_plan, submit
from tests.cases.helpers import add_check_in
from tests.messaging.helpers import start_conversation

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


def _rows(html: str) -> list[str]:
    """Each row of the caseload table as "cell | cell | …", tags removed."""
    if "<tbody>" not in html:
        return []
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        " | ".join(
            " ".join(re.sub(r"<[^>]+>", " ", cell.split(">", 1)[1]).split())
            for cell in re.split(r"<t[hd][ >]", row)[1:]
        )
        for row in body.split("<tr")[1:]
    ]


def test_each_case_shows_its_figures(client, login, make_staff, make_member, make_case, frozen):
    lead = make_staff()
    case = make_case(member=make_member(name="Dr. Busy Member"), lead=lead, stage=Stage.ASSESSMENT)
    activate_plan(case, lead)  # "Documentation audit" is 3 days overdue
    submit(case, "Teach-back workshop")  # evidence awaiting verification
    start_conversation(case, case.member)  # a member message awaiting our reply
    add_check_in(case, lead, in_days=3)
    add_check_in(case, lead, in_days=10)
    add_check_in(case, lead, in_days=1, status=CheckInStatus.CANCELLED)
    make_case(member=make_member(name="Dr. Quiet Member"), lead=lead)
    make_case(member=make_member(name="Dr. Not Mine"))  # another advisor's case

    login(lead)
    page = client.get("/cases/")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 2 and not any("Not Mine" in row for row in rows)
    busy = next(row for row in rows if "Busy Member" in row)
    assert "Ongoing support" in busy
    assert "Mar 5, 2026" in busy  # the next scheduled check-in, not the cancelled one
    assert busy.split(" | ")[3:6] == ["1", "1", "1"]  # overdue, to verify, awaiting our reply
    quiet = next(row for row in rows if "Quiet Member" in row)
    assert quiet.split(" | ")[2:6] == ["None scheduled", "0", "0", "0"]


def test_staff_on_the_team_see_the_case_and_admins_see_all(
    client, login, make_staff, make_admin, make_case
):
    lead, colleague = make_staff(), make_staff()
    case = make_case(lead=lead)
    other = make_case()
    db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
    db.session.commit()
    login(colleague)
    text = client.get("/cases/").text
    assert case.member.name in text and other.member.name not in text
    assert case.member.name not in client.get("/cases/?scope=lead").text
    assert case.member.name in client.get("/cases/?scope=team").text
    admin_client = client.application.test_client()
    login(make_admin(), test_client=admin_client)
    text = admin_client.get("/cases/").text
    assert case.member.name in text and other.member.name in text


def test_no_contact_flag_after_the_configured_weeks(
    app, client, login, make_staff, make_member, make_case, frozen
):
    lead = make_staff()
    stale = make_case(member=make_member(name="Dr. Stale"), lead=lead, stage=Stage.PLANNING)
    fresh = make_case(member=make_member(name="Dr. Fresh"), lead=lead, stage=Stage.PLANNING)
    never = make_case(member=make_member(name="Dr. Never"), lead=lead)
    stale.last_contact_at = NOW - timedelta(weeks=9, days=2)
    fresh.last_contact_at = NOW - timedelta(weeks=7)
    never.referred_at = NOW - timedelta(weeks=12)
    db.session.commit()
    login(lead)
    rows = _rows(client.get("/cases/").text)
    assert "No contact for 9 weeks" in next(r for r in rows if "Stale" in r)
    assert "No contact for 12 weeks" in next(r for r in rows if "Never" in r)
    assert "No contact" not in next(r for r in rows if "Fresh" in r)
    flagged = _rows(client.get("/cases/?flagged=y").text)
    assert [("Stale" in r, "Never" in r) for r in flagged].count((False, False)) == 0
    assert len(flagged) == 2
    # The threshold is configuration.
    app.config["CASE_NO_CONTACT_WEEKS"] = 10
    rows = _rows(client.get("/cases/").text)
    assert "No contact" not in next(r for r in rows if "Stale" in r)
    # A closed case is never flagged, and is listed only when asked for.
    stale.stage = Stage.CLOSED
    db.session.commit()
    app.config["CASE_NO_CONTACT_WEEKS"] = 8
    assert "Dr. Stale" not in client.get("/cases/").text
    closed = _rows(client.get("/cases/?stage=closed").text)
    assert len(closed) == 1 and "Stale" in closed[0] and "No contact" not in closed[0]


def test_sorting_and_filtering(client, login, make_staff, make_member, make_case, frozen):
    lead = make_staff()
    names = {}
    for name, stage, contact_days in (
        ("Dr. Alpha", Stage.ONGOING_SUPPORT, 3),
        ("Dr. Bravo", Stage.REFERRED, 30),
        ("Dr. Charlie", Stage.PLANNING, 1),
    ):
        names[name] = (
            make_case(member=make_member(name=name), lead=lead, stage=stage),
            contact_days,
        )
    start_conversation(names["Dr. Bravo"][0], names["Dr. Bravo"][0].member)
    for case, contact_days in names.values():
        case.last_contact_at = NOW - timedelta(days=contact_days)
    db.session.commit()
    add_check_in(names["Dr. Charlie"][0], lead, in_days=2)
    add_check_in(names["Dr. Alpha"][0], lead, in_days=5)
    login(lead)

    def order(query: str) -> list[str]:
        return [re.search(r"Dr\. \w+", row).group(0) for row in _rows(client.get(query).text)]

    assert order("/cases/") == ["Dr. Bravo", "Dr. Alpha", "Dr. Charlie"]  # longest ago first
    assert order("/cases/?sort=name") == ["Dr. Alpha", "Dr. Bravo", "Dr. Charlie"]
    assert order("/cases/?sort=stage") == ["Dr. Bravo", "Dr. Charlie", "Dr. Alpha"]
    assert order("/cases/?sort=next_check_in") == ["Dr. Charlie", "Dr. Alpha", "Dr. Bravo"]
    assert order("/cases/?stage=planning") == ["Dr. Charlie"]
    assert order("/cases/?attention=y") == ["Dr. Bravo"]  # a message awaits our reply
    # Unknown values are ignored, never an error.
    response = client.get("/cases/?sort=evil&stage=nope&scope=x&page=abc")
    assert response.status_code == 200
    assert order("/cases/?sort=evil") == ["Dr. Bravo", "Dr. Alpha", "Dr. Charlie"]


def test_pages_keep_the_filters(client, login, make_staff, make_case):
    lead = make_staff()
    for _ in range(27):
        make_case(lead=lead, stage=Stage.PLANNING)
    login(lead)
    page = client.get("/cases/?stage=planning&sort=name")
    assert 'href="/cases/?page=2&amp;stage=planning&amp;sort=name"' in page.text
    assert len(_rows(client.get("/cases/?stage=planning&sort=name&page=2").text)) == 2


def test_query_count_does_not_grow_with_the_number_of_cases(
    client, login, make_staff, make_case, query_counter, frozen
):
    lead = make_staff()
    login(lead)

    def add_cases(n: int) -> None:
        for _ in range(n):
            case = make_case(lead=lead, stage=Stage.ONGOING_SUPPORT)
            start_conversation(case, case.member)
            add_check_in(case, lead, in_days=4)

    def count() -> int:
        with query_counter() as queries:
            assert client.get("/cases/?attention=y").status_code == 200
        return queries.count

    add_cases(3)
    few = count()
    add_cases(27)
    assert count() == few
