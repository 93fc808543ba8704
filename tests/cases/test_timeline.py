"""The case timeline: the whole story from every source, newest first, filterable, bounded with
"Older" navigation, at a query count that does not grow with the story."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal import clock
from portal.activities import services as activities
from portal.audit.models import AuditEvent
from portal.cases.models import Stage
from portal.checkins.models import CheckInStatus
from portal.extensions import db
from portal.messaging.models import MessageKind
from tests.activities.helpers import activate_plan, activity
from tests.cases.helpers import add_check_in
from tests.cases.test_break_glass import REASON
from tests.messaging.helpers import post, start_conversation


@pytest.fixture
def story(make_staff, make_case):
    lead = make_staff(name="Dr. Lead")
    case = make_case(lead=lead, stage=Stage.ASSESSMENT)
    activate_plan(case, lead)
    activities.start_activity(case, activity(case, "Teach-back workshop"), by=case.member)
    conversation = start_conversation(case, case.member, subject="About my plan")
    post(conversation, lead, MessageKind.STAFF, "A confidential answer.")
    post(conversation, lead, MessageKind.NOTE, "An internal note.")
    db.session.commit()
    held = add_check_in(case, lead, in_days=-7)
    held.status = CheckInStatus.HELD
    held.outcome_recorded_at = clock.now() - timedelta(days=6)
    held.outcome_recorded_by_id = lead.id
    add_check_in(case, lead, in_days=14)
    db.session.commit()
    return case, lead, conversation


def _entries(html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r'<li class="timeline-entry[^"]*">(.*?)</li>', html, re.S)
    ]


def test_the_whole_story_newest_first(app, client, login, make_staff, story):
    case, lead, conversation = story
    outsider = make_staff(name="Dr. Outsider")
    other = app.test_client()
    login(outsider, test_client=other)
    other.post(f"/cases/{case.id}/break-glass", data={"reason": REASON})
    login(lead)
    page = client.get(f"/cases/{case.id}/timeline")
    assert page.status_code == 200
    text = " || ".join(_entries(page.text))
    for expected in (
        "Referred to the program",
        "Assessment version 1 released",
        "Plan version 1 shared with the member",
        "The member agreed to plan version 1",
        "Plan version 1 approved by the lead advisor",
        "Plan version 1 became active",
        "Activity “Teach-back workshop”: In progress",
        "Message from the member in About my plan",
        "Message to the member in About my plan",
        "Internal note in About my plan",
        "Check-in scheduled for",
        ": held",
        "Stage: Ongoing support",
        "Opened by staff not on the case (break-glass)",
        REASON,
    ):
        assert expected in text, expected
    assert "A confidential answer." not in page.text  # a link to the message, not its body
    assert f'href="/messages/{conversation.id}"' in page.text
    times = re.findall(r'<p class="timeline-when"><time datetime="([^"]+)"', page.text)
    assert times == sorted(times, reverse=True)
    assert f'href="/cases/{case.id}/timeline"' in client.get(f"/cases/{case.id}").text


def test_filter_by_kind(client, login, story):
    case, lead, _ = story
    login(lead)
    page = client.get(f"/cases/{case.id}/timeline?kind=messages&kind=checkins")
    entries = _entries(page.text)
    assert entries and all(("Message" in e or "note" in e or "Check-in" in e) for e in entries)
    assert re.search(r'<input checked[^>]*value="messages"', page.text)
    assert client.get(f"/cases/{case.id}/timeline?kind=nonsense").status_code == 200
    assert client.get(f"/cases/{case.id}/timeline?before=yesterday").status_code == 200


def test_older_entries_page_by_page_at_a_constant_query_count(
    client, login, story, query_counter, monkeypatch
):
    case, lead, conversation = story
    monkeypatch.setattr("portal.cases.timeline.PAGE_SIZE", 5)
    login(lead)

    def count(url: str) -> int:
        with query_counter() as queries:
            assert client.get(url).status_code == 200
        return queries.count

    few = count(f"/cases/{case.id}/timeline")
    seen = []
    url = f"/cases/{case.id}/timeline?kind=messages"
    while url:
        html = client.get(url).text
        seen += _entries(html)
        older = re.search(r'href="([^"]+)" rel="next">Older', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert len(seen) == 3

    for n in range(40):
        post(conversation, case.member, MessageKind.MEMBER, f"Message {n}")
    db.session.commit()
    assert count(f"/cases/{case.id}/timeline") == few
    first = client.get(f"/cases/{case.id}/timeline?kind=messages").text
    assert len(_entries(first)) == 5 and 'rel="next">Older' in first


def test_viewing_the_timeline_is_audited_and_refused_to_others(client, login, make_member, story):
    case, lead, _ = story
    login(lead)
    client.get(f"/cases/{case.id}/timeline")
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "case.viewed").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.detail == "timeline" and event.case_id == case.id
    member_client = client.application.test_client()
    login(make_member(), test_client=member_client)
    assert member_client.get(f"/cases/{case.id}/timeline").status_code == 403


def test_reschedules_requests_and_closings_are_in_the_story(client, login, story):
    from portal.cases.closing import close_case
    from portal.checkins import services as checkins
    from portal.checkins.models import CheckIn

    case, lead, _ = story
    upcoming = db.session.scalars(
        db.select(CheckIn).where(CheckIn.status == CheckInStatus.SCHEDULED)
    ).one()
    checkins.request_reschedule(
        upcoming, member=case.member, reason="On call that week", preferred_times=None
    )
    checkins.reschedule_check_in(
        upcoming,
        by=lead,
        slot=checkins.Slot(upcoming.scheduled_at + timedelta(days=2), "America/Toronto"),
        sequence=upcoming.calendar_sequence,
    )
    close_case(case, by=lead, summary="Every goal of the plan is met.")
    db.session.commit()
    login(lead)
    text = " || ".join(_entries(client.get(f"/cases/{case.id}/timeline").text))
    for expected in (
        "The member asked to reschedule a check-in",
        "Check-in moved to a new time",
        "Case closed",
        "Closing summary: Every goal of the plan is met.",
    ):
        assert expected in text, expected
    # Filtered to check-ins, the reschedules (audit events) are still there.
    only = " || ".join(_entries(client.get(f"/cases/{case.id}/timeline?kind=checkins").text))
    assert "Check-in moved to a new time" in only and "Case closed" not in only


def test_the_invitation_sent_and_accepted_are_in_the_story(app, client, login, make_member, story):
    """Accepting is an event of the member's account, without a case: the case's member's own
    shows, another member's does not."""
    from portal.auth import services as auth
    from portal.auth.models import AccountToken

    case, lead, _ = story
    other = make_member()
    with app.test_request_context():
        for member, case_id in ((case.member, case.id), (other, None)):
            auth.send_invitation(member, case_id=case_id)
            token = db.session.scalars(
                db.select(AccountToken).where(AccountToken.user_id == member.id)
            ).one()
            auth.accept_invitation(token, "a long enough passphrase 2030")
        db.session.commit()
    login(lead)
    text = " || ".join(_entries(client.get(f"/cases/{case.id}/timeline").text))
    assert text.count("Invitation sent to the member") == 1
    assert text.count("The member accepted the invitation and set a password") == 1


def test_the_query_count_does_not_depend_on_what_the_case_holds(
    client, login, make_case, story, query_counter
):
    case, lead, _ = story
    empty = make_case(lead=lead)
    login(lead)
    counts = []
    for shown in (case, empty):
        client.get(f"/cases/{shown.id}/timeline")  # the session's last-seen time is written once
        with query_counter() as queries:
            assert client.get(f"/cases/{shown.id}/timeline").status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]
