"""Notifications for messages: who is told, batching (at most one email per conversation per 15
minutes per person, the rest held and released afterwards unless seen), the daily digest, the
preference page, and emails that say nothing of the content."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import MessageKind
from portal.notifications.models import Frequency, Notification
from portal.notifications.services import (
    notify,
    release_held_notifications,
    send_due_digests,
    set_frequency,
)
from portal.outbox.models import OutboxEmail
from portal.outbox.worker import run_due_jobs
from tests.messaging.helpers import post, start_conversation

SECRET = "my second complaint from the college"


def _notifications(user):
    return [
        row
        for row in db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id))
        if row.to_address == user.email
    ]


def test_an_unassigned_member_message_notifies_the_whole_case_team(team, emails, frozen_clock):
    start_conversation(team["case"], team["member"], body=SECRET)
    assert sorted(emails()) == sorted(
        [(team["lead"].email, "notification"), (team["colleague"].email, "notification")]
    )
    for row in db.session.scalars(db.select(OutboxEmail)):
        assert SECRET not in row.body_text and SECRET not in row.body_html
        assert row.subject == "You have something new in the MSP Portal"
        assert "/messages/1" in row.body_text


def test_an_assigned_conversation_notifies_only_the_assignee(team, emails, frozen_clock):
    conversation = start_conversation(team["case"], team["member"])
    services.assign(conversation, team["colleague"], by=team["lead"])
    db.session.commit()
    frozen_clock.advance(minutes=30)
    before = len(emails())
    post(conversation, team["member"], MessageKind.MEMBER, "More")
    assert emails()[before:] == [(team["colleague"].email, "notification")]


def test_a_staff_reply_notifies_the_member_and_a_note_nobody(team, emails, frozen_clock):
    conversation = start_conversation(team["case"], team["member"])
    before = len(emails())
    post(conversation, team["lead"], MessageKind.NOTE, "internal")
    assert len(emails()) == before
    post(conversation, team["lead"], MessageKind.STAFF, "Answer")
    assert emails()[before:] == [(team["member"].email, "notification")]


def test_several_messages_within_15_minutes_give_one_email_then_one_more(
    team, frozen_clock, emails
):
    member, lead = team["member"], team["lead"]
    conversation = start_conversation(team["case"], member)
    for minutes in (1, 5, 14):
        frozen_clock.advance(minutes=minutes if minutes == 1 else 4)
        post(conversation, lead, MessageKind.STAFF, f"reply after {minutes}")
    assert len(_notifications(member)) == 1
    # Nothing is released while the window runs...
    assert release_held_notifications() == 0
    # ...and when it has passed, the held news goes out in one email.
    frozen_clock.advance(minutes=15)
    assert release_held_notifications() == 1
    assert len(_notifications(member)) == 2
    assert release_held_notifications() == 0
    # Another conversation is another topic: it is not held by the first one's window.
    other = start_conversation(team["case"], member, subject="Other")
    post(other, lead, MessageKind.STAFF, "hello")
    assert len(_notifications(member)) == 3


def test_held_news_is_not_emailed_once_the_person_has_read_it(
    team, frozen_clock, client_for, emails
):
    member, lead = team["member"], team["lead"]
    conversation = start_conversation(team["case"], member)
    post(conversation, lead, MessageKind.STAFF, "first")
    frozen_clock.advance(minutes=2)
    post(conversation, lead, MessageKind.STAFF, "second, held")
    assert len(_notifications(member)) == 1
    client_for(member).get(f"/messages/{conversation.id}")
    frozen_clock.advance(minutes=20)
    assert release_held_notifications() == 0
    assert len(_notifications(member)) == 1


def test_daily_digest_is_one_content_free_email_a_morning(app, team, frozen_clock, emails):
    member, lead = team["member"], team["lead"]
    frozen_clock.set(datetime(2030, 1, 15, 15, 0, tzinfo=UTC))  # Tuesday 10:00 in Toronto
    set_frequency(member, Frequency.DAILY)
    db.session.commit()
    first = start_conversation(team["case"], member, subject="One")
    second = start_conversation(team["case"], member, subject="Two")
    post(first, lead, MessageKind.STAFF, SECRET)
    post(second, lead, MessageKind.STAFF, "b")
    frozen_clock.advance(minutes=30)
    post(first, lead, MessageKind.STAFF, "c")
    assert _notifications(member) == []  # nothing immediate
    assert release_held_notifications() == 0  # the held-news job leaves digest users alone
    assert send_due_digests() == 0  # today's digest time (07:00) was before the switch

    frozen_clock.set(datetime(2030, 1, 16, 11, 59, tzinfo=UTC))  # Wednesday 06:59
    assert send_due_digests() == 0
    frozen_clock.set(datetime(2030, 1, 16, 12, 0, tzinfo=UTC))  # 07:00
    assert send_due_digests() == 1
    [digest] = _notifications(member)
    assert digest.template == "digest"
    assert digest.subject == "Your daily summary from the MSP Portal"
    assert "You have 3 new items in the MSP Portal" in digest.body_text
    assert "http://portal.test/" in digest.body_text
    assert SECRET not in digest.body_text and SECRET not in digest.body_html
    assert "/messages/" not in digest.body_text  # says how many, not where or what
    # Once a day, however often the job runs.
    post(first, lead, MessageKind.STAFF, "d")
    frozen_clock.advance(hours=5)
    assert send_due_digests() == 0
    frozen_clock.set(datetime(2030, 1, 17, 12, 30, tzinfo=UTC))
    assert send_due_digests() == 1
    assert "You have 1 new item in the MSP Portal" in _notifications(member)[-1].body_text


def test_the_digest_skips_what_was_read_and_people_with_nothing_new(team, frozen_clock, client_for):
    member, lead = team["member"], team["lead"]
    set_frequency(member, Frequency.DAILY)
    db.session.commit()
    conversation = start_conversation(team["case"], member)
    post(conversation, lead, MessageKind.STAFF, "read before the digest")
    client_for(member).get(f"/messages/{conversation.id}")
    frozen_clock.advance(days=1)
    assert send_due_digests() == 0


def test_digest_command_and_worker_job(app, team, frozen_clock):
    member = team["member"]
    set_frequency(member, Frequency.DAILY)
    db.session.commit()
    notify(member, topic="assessment:1", endpoint="home.index")
    db.session.commit()
    frozen_clock.advance(days=1)
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 digest(s) queued" in result.output

    # The outbox worker runs the same jobs on its schedule.
    notify(member, topic="assessment:1", endpoint="home.index")
    db.session.commit()
    frozen_clock.advance(days=1)
    schedule: dict[str, float] = {}
    run_due_jobs(schedule)
    assert "notifications" in schedule
    assert [row.template for row in _notifications(member)] == ["digest", "digest"]
    notify(member, topic="assessment:1", endpoint="home.index")
    db.session.commit()
    frozen_clock.advance(days=1)
    run_due_jobs(schedule)  # not due again yet on the worker's own schedule
    assert len(_notifications(member)) == 2


def test_a_failing_periodic_job_does_not_stop_the_worker(app, caplog):
    from datetime import timedelta

    from portal.outbox.worker import register_periodic_job

    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("boom")

    register_periodic_job(app, "broken", timedelta(seconds=0), broken)
    schedule: dict[str, float] = {}
    run_due_jobs(schedule)
    run_due_jobs(schedule)
    assert len(calls) == 2
    assert "periodic job broken failed" in caplog.text


def test_notify_keeps_its_signature_and_ignores_inactive_users(team, make_member):
    gone = make_member(active=False)
    notify(gone, topic="plan:3", endpoint="home.index")
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 0


def _checked(page: str) -> str:
    [value] = re.findall(r'<input checked [^>]*value="(\w+)"', page)
    return value


def test_preference_page_changes_how_a_person_is_notified(team, client_for):
    browser = client_for(team["member"])
    page = browser.get("/notifications/settings")
    assert page.status_code == 200 and _checked(page.text) == "immediate"
    assert browser.post("/notifications/settings", data={"frequency": "weekly"}).status_code == 200
    response = browser.post("/notifications/settings", data={"frequency": "daily"})
    assert response.status_code == 302
    assert _checked(browser.get("/notifications/settings").text) == "daily"
    french = browser.get("/notifications/settings", headers={"Accept-Language": "fr"})
    assert french.status_code == 200
    assert "settings" in browser.get("/messages/").text
