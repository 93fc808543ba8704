"""Unread counts (navigation and per conversation) that update when read, and the member's
receipts showing when the MSP team has seen each of their messages."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import Message, MessageKind
from tests.messaging.helpers import post, start_conversation


def _nav_count(page) -> int | None:
    match = re.search(r'class="nav-badge">(\d+)<', page.text)
    return int(match.group(1)) if match else None


def test_unread_counts_follow_each_side_and_update_when_read(team, client_for, frozen_clock):
    member, lead, colleague = team["member"], team["lead"], team["colleague"]
    conversation = start_conversation(team["case"], member)
    frozen_clock.advance(minutes=1)
    post(conversation, member, MessageKind.MEMBER, "And one more thing")

    # Staff on the case each have their own unread count; the member's own messages are not
    # unread for the member.
    assert services.unread_count_for(lead) == 2
    assert services.unread_count_for(colleague) == 2
    assert services.unread_count_for(member) == 0

    lead_browser = client_for(lead)
    inbox = lead_browser.get("/messages/inbox")
    assert _nav_count(inbox) == 2
    assert 'class="badge">2<' in inbox.text
    page = lead_browser.get(f"/messages/{conversation.id}")
    assert _nav_count(page) is None  # read now, and the navigation says so on this very page
    assert services.unread_count_for(lead) == 0
    assert services.unread_count_for(colleague) == 2

    frozen_clock.advance(minutes=1)
    post(conversation, lead, MessageKind.STAFF, "Here is our answer")
    post(conversation, lead, MessageKind.NOTE, "Not for the member")
    member_browser = client_for(member)
    listing = member_browser.get("/messages/")
    assert _nav_count(listing) == 1
    assert "1 unread" in listing.text
    member_browser.get(f"/messages/{conversation.id}")
    assert services.unread_count_for(member) == 0
    assert _nav_count(member_browser.get("/messages/")) is None


def test_unread_count_is_one_query(team, query_counter):
    conversation = start_conversation(team["case"], team["member"])
    for n in range(5):
        post(conversation, team["member"], MessageKind.MEMBER, f"message {n}")
    lead = db.session.get(type(team["lead"]), team["lead"].id)  # loaded, as in a request
    with query_counter() as queries:
        assert services.unread_count_for(lead) == 6
    assert queries.count == 1


def test_receipts_show_when_the_team_has_seen_each_member_message(team, client_for, frozen_clock):
    conversation = start_conversation(team["case"], team["member"], body="First question")
    member_browser = client_for(team["member"])
    assert "Not yet seen by the MSP team" in member_browser.get(f"/messages/{conversation.id}").text

    # The member's own views do not count; an outsider cannot see it at all.
    assert client_for(team["outsider"]).get(f"/messages/{conversation.id}").status_code == 404
    first = db.session.scalars(db.select(Message)).one()
    assert first.seen_by_team_at is None

    seen_at = frozen_clock.advance(hours=2)
    client_for(team["colleague"]).get(f"/messages/{conversation.id}")
    db.session.refresh(first)
    assert first.seen_by_team_at == seen_at

    # A later view does not move the receipt; a new message has its own.
    frozen_clock.advance(hours=1)
    post(conversation, team["member"], MessageKind.MEMBER, "Second question")
    client_for(team["lead"]).get(f"/messages/{conversation.id}")
    db.session.refresh(first)
    assert first.seen_by_team_at == seen_at
    page = client_for(team["member"]).get(f"/messages/{conversation.id}").text
    assert page.count("Seen by the MSP team on") == 2
    assert "Not yet seen" not in page


def test_a_staff_reply_marks_earlier_member_messages_seen(team):
    conversation = start_conversation(team["case"], team["member"])
    post(conversation, team["lead"], MessageKind.STAFF, "Answer")
    first = db.session.scalars(db.select(Message).where(Message.kind == MessageKind.MEMBER)).one()
    assert first.seen_by_team_at is not None


def test_a_reply_written_before_a_new_member_message_leaves_that_message_unseen(team, client_for):
    conversation = start_conversation(team["case"], team["member"])
    lead = client_for(team["lead"])
    lead.get(f"/messages/{conversation.id}")  # the lead has the thread on screen
    urgent = post(conversation, team["member"], MessageKind.MEMBER, "URGENT: new information")
    post(conversation, team["lead"], MessageKind.STAFF, "Reply written before it arrived")
    db.session.refresh(urgent)
    db.session.refresh(conversation)
    assert urgent.seen_by_team_at is None
    assert conversation.awaiting_reply_since == urgent.created_at  # still waiting for the team


def test_the_navigation_counts_up_to_a_limit_then_says_so(team, client_for, monkeypatch):
    monkeypatch.setattr(services, "UNREAD_COUNT_LIMIT", 3)
    conversation = start_conversation(team["case"], team["member"])
    post(conversation, team["member"], MessageKind.MEMBER, "Two")
    assert services.unread_count_for(team["lead"]) == 2
    assert _nav_count(client_for(team["lead"]).get("/messages/inbox")) == 2
    for n in range(3):
        post(conversation, team["member"], MessageKind.MEMBER, f"More {n}")
    assert services.unread_count_for(team["lead"]) == 3  # counted no further
    assert 'class="nav-badge">2+<' in client_for(team["lead"]).get("/messages/inbox").text


def test_each_conversation_keeps_its_latest_message_from_each_side(team):
    conversation = start_conversation(team["case"], team["member"])
    first = db.session.scalars(db.select(Message)).one()
    assert (conversation.last_member_message_id, conversation.last_staff_message_id) == (
        first.id,
        None,
    )
    reply = post(conversation, team["lead"], MessageKind.STAFF, "Answer")
    post(conversation, team["lead"], MessageKind.NOTE, "Notes are not messages to either side")
    db.session.refresh(conversation)
    assert (conversation.last_member_message_id, conversation.last_staff_message_id) == (
        first.id,
        reply.id,
    )
    # The member has not opened the reply yet; the note never counts.
    assert services.unread_count_for(team["member"]) == 1
