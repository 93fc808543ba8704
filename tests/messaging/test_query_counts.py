"""Page cost does not grow with the data: the inbox, the member's list and a conversation of
1,000 messages are paginated, with eager loading, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from portal import clock
from portal.extensions import db
from portal.messaging.models import Message, MessageAttachment, MessageKind
from portal.uploads.models import StoredFile
from tests.messaging.helpers import checked, post, start_conversation


def _bulk_messages(conversation, team, count: int) -> None:
    """`count` messages alternating between the member and the lead, in one statement."""
    start = clock.now() - timedelta(days=30)
    rows = [
        {
            "conversation_id": conversation.id,
            "author_id": (team["member"] if n % 2 else team["lead"]).id,
            "kind": (MessageKind.MEMBER if n % 2 else MessageKind.STAFF).value,
            "body": f"Message number {n}",
            "created_at": start + timedelta(minutes=n),
        }
        for n in range(count)
    ]
    db.session.execute(insert(Message.__table__), rows)
    db.session.commit()


def test_a_conversation_of_1000_messages_is_paginated_in_constant_queries(
    team, client_for, query_counter
):
    conversation = start_conversation(team["case"], team["member"], uploads=[checked()])
    post(conversation, team["lead"], MessageKind.NOTE, "a note", uploads=[checked("n.pdf")])
    lead = client_for(team["lead"])
    member = client_for(team["member"])
    lead.get(f"/messages/{conversation.id}")
    member.get(f"/messages/{conversation.id}")
    with query_counter() as few_staff:
        lead.get(f"/messages/{conversation.id}")
    with query_counter() as few_member:
        member.get(f"/messages/{conversation.id}")

    _bulk_messages(conversation, team, 1000)
    # Attachments on the latest messages too, so that the page shows many of them.
    for message in db.session.scalars(db.select(Message).order_by(Message.id.desc()).limit(10)):
        stored = StoredFile(
            storage_name=f"bulk{message.id}",
            original_name=f"doc{message.id}.pdf",
            content_type="application/pdf",
            size_bytes=10,
            sha256="0" * 64,
        )
        db.session.add(stored)
        db.session.flush()
        db.session.add(MessageAttachment(message_id=message.id, file_id=stored.id))
    db.session.commit()

    with query_counter() as many_staff:
        page = lead.get(f"/messages/{conversation.id}")
    assert page.text.count('class="msg msg-') == 50
    assert "Message number 999" in page.text and "Message number 949" not in page.text
    assert "Earlier messages" in page.text
    with query_counter() as many_member:
        member.get(f"/messages/{conversation.id}")
    with query_counter() as older_page:
        older = lead.get(f"/messages/{conversation.id}?page=3")
    assert "Message number 899" in older.text and "Later messages" in older.text
    last = lead.get(f"/messages/{conversation.id}?page=21").text
    assert "Hello team" in last and "Earlier messages" not in last

    print(f"conversation page queries: staff {many_staff.count}, member {many_member.count}")
    assert many_staff.count == few_staff.count
    assert many_member.count == few_member.count
    assert older_page.count <= few_staff.count  # older pages leave notifications alone


def test_the_inbox_and_the_members_list_take_constant_queries(
    team, client_for, query_counter, make_member, make_case
):
    lead = client_for(team["lead"])
    member = client_for(team["member"])
    start_conversation(team["case"], team["member"], subject="Only one")
    lead.get("/messages/inbox")
    with query_counter() as few:
        lead.get("/messages/inbox")
    with query_counter() as few_member:
        member.get("/messages/")

    for n in range(40):
        other = make_member()
        case = make_case(member=other, lead=team["lead"])
        conversation = start_conversation(case, other, subject=f"Subject {n}")
        post(conversation, other, MessageKind.MEMBER, "more")
    for n in range(30):
        start_conversation(team["case"], team["member"], subject=f"Mine {n}")
    with query_counter() as many:
        page = lead.get("/messages/inbox")
    with query_counter() as filtered:
        lead.get("/messages/inbox?show=awaiting&q=Subject")
    with query_counter() as many_member:
        listing = member.get("/messages/")
    assert page.text.count("<tr") == 26  # header + one page of 25
    assert "Page 1 of 3" in page.text
    assert listing.text.count('class="msg-list-item') == 25
    print(f"inbox queries: {many.count}; member list queries: {many_member.count}")
    assert many.count == few.count
    assert filtered.count == few.count
    assert many_member.count == few_member.count
