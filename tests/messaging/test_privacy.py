"""Confidentiality: a member can never read another member's conversation, attachment or count,
and internal notes never reach a member by any path (page, download, email, count)."""

from __future__ import annotations

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import MessageKind
from portal.outbox.models import OutboxEmail
from tests.messaging.helpers import checked, post, start_conversation

NOTE = "Internal: the college file mentions a second complaint"


def _denials():
    return db.session.scalars(
        db.select(AuditEvent.detail).where(AuditEvent.action == "access.denied")
    ).all()


def test_another_member_cannot_read_a_conversation_or_its_attachment(
    team, make_member, make_case, client_for
):
    conversation = start_conversation(
        team["case"], team["member"], body="Private words", uploads=[checked("mine.pdf")]
    )
    attachment_id = services.transcript_messages(conversation, team["member"])[0].attachments[0].id
    intruder = make_member()
    make_case(member=intruder)
    browser = client_for(intruder)

    for url in (
        f"/messages/{conversation.id}",
        f"/messages/{conversation.id}/transcript",
        f"/messages/attachments/{attachment_id}",
    ):
        response = browser.get(url)
        assert response.status_code == 404, url
        assert b"Private words" not in response.data
    assert (
        browser.post(f"/messages/{conversation.id}/reply", data={"body": "hi"}).status_code == 404
    )
    assert browser.get("/messages/").status_code == 200
    assert "A question" not in browser.get("/messages/").text
    assert services.unread_count_for(intruder) == 0
    assert len(_denials()) == 4


def test_staff_not_on_the_case_get_404_and_admins_see_everything(team, make_admin, client_for):
    conversation = start_conversation(team["case"], team["member"])
    assert client_for(team["outsider"]).get(f"/messages/{conversation.id}").status_code == 404
    assert "A question" not in client_for(team["outsider"]).get("/messages/inbox").text
    assert services.unread_count_for(team["outsider"]) == 0
    assert client_for(team["colleague"]).get(f"/messages/{conversation.id}").status_code == 200
    admin = make_admin()
    assert services.unread_count_for(admin) == 1
    assert client_for(admin).get(f"/messages/{conversation.id}").status_code == 200
    assert services.unread_count_for(admin) == 0


def test_internal_notes_never_reach_the_member(team, client_for, emails):
    conversation = start_conversation(team["case"], team["member"])
    staff = client_for(team["lead"])
    staff.post(f"/messages/{conversation.id}", data={})  # a stray POST changes nothing
    response = staff.post(
        f"/messages/{conversation.id}/notes",
        data={"note-body": NOTE, "note-attachments": [checked_file()]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    before = emails()
    note = services.transcript_messages(conversation, team["lead"])[-1]
    assert note.kind is MessageKind.NOTE
    note_attachment = note.attachments[0].id

    member = client_for(team["member"])
    page = member.get(f"/messages/{conversation.id}")
    assert page.status_code == 200
    assert NOTE not in page.text and "Internal note" not in page.text
    assert "secret-note.pdf" not in page.text
    transcript = member.get(f"/messages/{conversation.id}/transcript")
    assert NOTE not in transcript.text and "INTERNAL" not in transcript.text
    assert member.get(f"/messages/attachments/{note_attachment}").status_code == 404
    # Counts: the note is not unread for the member, in the navigation or the list.
    assert services.unread_count_for(team["member"]) == 0
    assert "unread" not in member.get("/messages/").text
    # Email: nobody was notified of the note, and no email body mentions it.
    assert emails() == before
    for row in db.session.scalars(db.select(OutboxEmail)):
        assert NOTE not in (row.body_text or "") and NOTE not in (row.body_html or "")

    # Staff see the note, clearly marked, in the page and the download.
    staff_page = staff.get(f"/messages/{conversation.id}")
    assert NOTE in staff_page.text and "Internal note" in staff_page.text
    assert "INTERNAL NOTE" in staff.get(f"/messages/{conversation.id}/transcript").text
    assert staff.get(f"/messages/attachments/{note_attachment}").status_code == 200


def test_a_note_does_not_stop_the_response_clock_or_count_as_a_reply(team):
    conversation = start_conversation(team["case"], team["member"])
    post(conversation, team["lead"], MessageKind.NOTE, "Looking into it")
    db.session.refresh(conversation)
    assert conversation.awaiting_reply_since is not None


def checked_file():
    from io import BytesIO

    from tests.messaging.helpers import pdf_bytes

    return (BytesIO(pdf_bytes()), "secret-note.pdf")
