"""The response-time clock: business days (Monday to Friday, Toronto time), the inbox filters
that use it, and the age of the oldest unanswered member message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import MessageKind
from tests.messaging.helpers import post, start_conversation


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in January 2030 (EST, UTC-5) as UTC."""
    return datetime(2030, 1, day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


@pytest.mark.parametrize(
    ("sent", "days", "due"),
    [
        (toronto(14, 10), 2, toronto(16, 10)),  # Monday → Wednesday
        (toronto(17, 16), 2, toronto(21, 16)),  # Thursday → Monday
        (toronto(18, 16), 2, toronto(22, 16)),  # Friday → Tuesday
        (toronto(19, 10), 2, toronto(23, 0)),  # Saturday: the clock starts Monday 00:00
        (toronto(20, 23, 30), 1, toronto(22, 0)),  # Sunday night → Tuesday 00:00
        (toronto(18, 16), 5, toronto(25, 16)),  # a whole week
        # 23:30 Friday in Toronto is already Saturday in UTC: the local day decides.
        (toronto(18, 23, 30), 1, toronto(21, 23, 30)),
    ],
)
def test_business_days_skip_weekends_in_the_portal_time_zone(app, sent, days, due):
    assert services.add_business_days(sent, days) == due


def test_a_member_message_starts_the_clock_and_a_staff_reply_stops_it(team, frozen_clock):
    app_days = 2
    frozen_clock.set(toronto(18, 16))  # Friday
    conversation = start_conversation(team["case"], team["member"])
    assert conversation.awaiting_reply_since == toronto(18, 16)
    assert conversation.reply_due_at == toronto(22, 16)

    # A second member message does not restart the clock: the oldest unanswered one counts.
    frozen_clock.set(toronto(21, 9))
    post(conversation, team["member"], MessageKind.MEMBER, "Any news?")
    db.session.refresh(conversation)
    assert conversation.awaiting_reply_since == toronto(18, 16)

    frozen_clock.set(toronto(22, 15))
    post(conversation, team["lead"], MessageKind.STAFF, "Here you are")
    db.session.refresh(conversation)
    assert (conversation.awaiting_reply_since, conversation.reply_due_at) == (None, None)

    frozen_clock.set(toronto(23, 8))
    post(conversation, team["member"], MessageKind.MEMBER, "Thanks, one more question")
    db.session.refresh(conversation)
    assert conversation.awaiting_reply_since == toronto(23, 8)
    assert conversation.reply_due_at == services.add_business_days(toronto(23, 8), app_days)


def test_response_days_are_configurable(app, team, frozen_clock):
    app.config["MESSAGING_RESPONSE_BUSINESS_DAYS"] = 5
    frozen_clock.set(toronto(14, 10))
    conversation = start_conversation(team["case"], team["member"])
    assert conversation.reply_due_at == toronto(21, 10)


def test_inbox_filters_overdue_awaiting_unassigned_and_mine(team, client_for, frozen_clock):
    lead = team["lead"]
    frozen_clock.set(toronto(14, 10))  # Monday
    start_conversation(team["case"], team["member"], subject="Late subject")
    frozen_clock.set(toronto(16, 9))  # Wednesday: due Friday
    recent = start_conversation(team["case"], team["member"], subject="Recent subject")
    answered = start_conversation(team["case"], team["member"], subject="Answered subject")
    post(answered, lead, MessageKind.STAFF, "Done")
    services.assign(recent, lead, by=lead)
    db.session.commit()

    frozen_clock.set(toronto(16, 11))  # Wednesday 11:00: `late` was due at 10:00
    browser = client_for(lead)

    def shown(query: str) -> set[str]:
        page = browser.get(f"/messages/inbox{query}").text
        return {s for s in ("Late", "Recent", "Answered") if f"{s} subject" in page}

    assert shown("") == {"Late", "Recent", "Answered"}
    assert shown("?show=overdue") == {"Late"}
    assert shown("?show=awaiting") == {"Late", "Recent"}
    assert shown("?show=unassigned") == {"Late", "Answered"}
    assert shown("?show=mine") == {"Recent"}
    assert shown("?show=nonsense") == {"Late", "Recent", "Answered"}
    overdue_page = browser.get("/messages/inbox?show=awaiting").text
    # The age of the oldest unanswered message, and the overdue mark.
    assert "2 days" in overdue_page and "Overdue" in overdue_page
    assert overdue_page.index("Late subject") < overdue_page.index("Recent subject")


def test_no_reply_needed_stops_the_clock_and_is_audited(team, client_for):
    from portal.audit.models import AuditEvent

    conversation = start_conversation(team["case"], team["member"])
    response = client_for(team["lead"]).post(f"/messages/{conversation.id}/no-reply-needed")
    assert response.status_code == 302
    db.session.refresh(conversation)
    assert conversation.awaiting_reply_since is None
    assert db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "conversation.no_reply_needed")
    )


def test_each_reply_keeps_when_the_wait_it_answers_began(team, frozen_clock):
    """What the program report's response times read (`Message.wait_started_at`): the member's
    first message since the team's previous reply; notes are not replies; a second reply with
    nothing new from the member answered no wait. The migration's backfill gives the same."""
    import importlib.util
    from pathlib import Path

    from sqlalchemy import select, text, update

    from portal.messaging.models import Message

    member, lead = team["member"], team["lead"]
    frozen_clock.set(toronto(14, 9))
    conversation = start_conversation(team["case"], member)
    frozen_clock.set(toronto(14, 10))
    post(conversation, member, MessageKind.MEMBER, "And another thing")
    frozen_clock.set(toronto(14, 11))
    post(conversation, lead, MessageKind.NOTE, "Checking the file")
    frozen_clock.set(toronto(14, 12))
    first = post(conversation, lead, MessageKind.STAFF, "Here is the answer")
    frozen_clock.set(toronto(14, 13))
    second = post(conversation, lead, MessageKind.STAFF, "And a link")
    frozen_clock.set(toronto(15, 9))
    post(conversation, member, MessageKind.MEMBER, "Thanks, one more question")
    frozen_clock.set(toronto(15, 10))
    third = post(conversation, lead, MessageKind.STAFF, "Answered")

    kept = {
        message.id: message.wait_started_at
        for message in db.session.scalars(
            select(Message).where(Message.conversation_id == conversation.id)
        )
    }
    assert [kept[first.id], kept[second.id], kept[third.id]] == [
        toronto(14, 9),
        None,
        toronto(15, 9),
    ]
    assert {kept[i] for i in kept if i not in (first.id, second.id, third.id)} == {None}

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0010_reply_waits.py"
    spec = importlib.util.spec_from_file_location("reply_waits", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(update(Message).values(wait_started_at=None))
    db.session.execute(text(migration.BACKFILL))
    db.session.expire_all()
    backfilled = dict(
        db.session.execute(
            select(Message.id, Message.wait_started_at).where(
                Message.conversation_id == conversation.id
            )
        ).all()
    )
    assert backfilled == kept
