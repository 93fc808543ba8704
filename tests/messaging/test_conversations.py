"""Conversations through the browser's eyes (the test client): starting one, replying, a reply
that fails validation keeps what was typed, messages cannot be edited or deleted, every view is
audited, staff assign, insert canned replies, and search."""

from __future__ import annotations

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.messaging.models import CannedReply, Conversation, Message, MessageKind
from tests.messaging.helpers import start_conversation


def _actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_member_starts_a_conversation_and_the_team_replies(team, client_for):
    member = client_for(team["member"])
    page = member.get("/messages/new")
    assert "Messages are not for urgent matters." in page.text
    assert "The MSP team replies within 2 business days" in page.text
    assert "For urgent help, call the MSP team at 1-800-555-0199" in page.text
    response = member.post(
        "/messages/new", data={"subject": "Workshop dates", "body": "When is the next one?"}
    )
    assert response.status_code == 302
    conversation = db.session.scalars(db.select(Conversation)).one()
    assert response.location == f"/messages/{conversation.id}"
    thread = member.get(response.location).text
    assert "Workshop dates" in thread and "When is the next one?" in thread
    assert "<strong>You</strong>" in thread

    lead = client_for(team["lead"])
    staff_view = lead.get(f"/messages/{conversation.id}").text
    assert "Dr. Member One" in staff_view and "Awaiting our reply" in staff_view
    assert (
        lead.post(f"/messages/{conversation.id}/reply", data={"body": "On 3 March."}).status_code
        == 302
    )
    thread = member.get(f"/messages/{conversation.id}").text
    assert "On 3 March." in thread and "Lead Advisor</strong>, MSP team" in thread
    assert [e.case_id for e in _actions("message.sent")] == [team["case"].id] * 2
    assert len(_actions("conversation.started")) == 1


def test_a_reply_that_fails_validation_keeps_what_was_typed(team, client_for):
    conversation = start_conversation(team["case"], team["member"])
    member = client_for(team["member"])
    typed = "A long and careful reply " * 900  # over the 20,000 characters allowed
    response = member.post(f"/messages/{conversation.id}/reply", data={"body": typed})
    assert response.status_code == 200
    assert typed.strip() in response.text
    assert 'aria-invalid="true"' in response.text and "There is a problem" in response.text
    empty = member.post(f"/messages/{conversation.id}/reply", data={"body": "   "})
    assert "This field is required." in empty.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1


def test_sent_messages_cannot_be_edited_or_deleted(app, team, client_for):
    conversation = start_conversation(team["case"], team["member"])
    message = db.session.scalars(db.select(Message)).one()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("messaging.")]
    assert not any(
        word in rule.rule
        for rule in rules
        for word in ("edit", "delete")
        if "canned" not in rule.rule
    )
    member = client_for(team["member"])
    for method in ("PUT", "PATCH", "DELETE"):
        assert member.open(f"/messages/{conversation.id}", method=method).status_code == 405
    db.session.refresh(message)
    assert message.body == "Hello team"


def test_every_view_of_a_conversation_is_audited_with_its_case(team, client_for):
    conversation = start_conversation(team["case"], team["member"])
    client_for(team["member"]).get(f"/messages/{conversation.id}")
    client_for(team["lead"]).get(f"/messages/{conversation.id}?page=1")
    client_for(team["lead"]).get(f"/messages/{conversation.id}/transcript")
    views = _actions("conversation.viewed")
    assert [(v.actor_id, v.case_id, v.object_id) for v in views] == [
        (team["member"].id, team["case"].id, conversation.id),
        (team["lead"].id, team["case"].id, conversation.id),
    ]
    assert len(_actions("conversation.downloaded")) == 1


def test_staff_assign_a_conversation_to_someone_on_the_case(team, client_for, make_staff):
    conversation = start_conversation(team["case"], team["member"])
    lead = client_for(team["lead"])
    page = lead.get(f"/messages/{conversation.id}").text
    assert "Team Colleague" in page and "Other Advisor" not in page
    response = lead.post(
        f"/messages/{conversation.id}/assign", data={"assignee_id": team["colleague"].id}
    )
    assert response.status_code == 302
    db.session.refresh(conversation)
    assert conversation.assigned_to_id == team["colleague"].id
    assert _actions("conversation.assigned")[0].detail == f"to user {team['colleague'].id}"
    # Someone who may not see the case cannot be given the conversation.
    lead.post(f"/messages/{conversation.id}/assign", data={"assignee_id": team["outsider"].id})
    db.session.refresh(conversation)
    assert conversation.assigned_to_id == team["colleague"].id
    lead.post(f"/messages/{conversation.id}/assign", data={"assignee_id": 0})
    db.session.refresh(conversation)
    assert conversation.assigned_to_id is None


def test_canned_replies_are_kept_by_admins_and_inserted_in_the_members_language(
    team, client_for, make_admin, make_member, make_case
):
    admin = client_for(make_admin())
    assert (
        admin.post(
            "/messages/canned-replies",
            data={"title": "Received", "body_en": "We got it.", "body_fr": "Nous l'avons reçu."},
        ).status_code
        == 302
    )
    canned = db.session.scalars(db.select(CannedReply)).one()
    assert (
        admin.post(
            f"/messages/canned-replies/{canned.id}",
            data={"title": "Received", "body_en": "We received it.", "body_fr": "Bien reçu."},
        ).status_code
        == 302
    )
    assert client_for(team["lead"]).get("/messages/canned-replies").status_code == 403

    conversation = start_conversation(team["case"], team["member"])
    lead = client_for(team["lead"])
    # Without JavaScript: the "insert" button posts the draft and gets it back with the text
    # added, to edit before sending. Nothing is sent.
    page = lead.post(
        f"/messages/{conversation.id}/reply",
        data={"body": "Dear Dr. One,", "canned_reply_id": canned.id, "insert_canned": "Insert"},
    )
    assert page.status_code == 200
    assert "Dear Dr. One,\n\nWe received it.</textarea>" in page.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1

    french_member = make_member(language="fr")
    french_case = make_case(member=french_member, lead=team["lead"])
    french = start_conversation(french_case, french_member)
    page = lead.post(
        f"/messages/{french.id}/reply",
        data={"body": "", "canned_reply_id": canned.id, "insert_canned": "Insert"},
    )
    assert ">\r\nBien reçu.</textarea>" in page.text

    # A member cannot use the insert button to send or read anything.
    member_page = client_for(team["member"]).post(
        f"/messages/{conversation.id}/reply",
        data={"body": "", "canned_reply_id": canned.id, "insert_canned": "Insert"},
    )
    assert "We received it." not in member_page.text

    assert admin.post(f"/messages/canned-replies/{canned.id}/delete").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(CannedReply)) == 0


def test_staff_search_only_conversations_of_cases_they_may_see(
    team, client_for, make_member, make_case
):
    start_conversation(team["case"], team["member"], subject="Billing", body="About 100% fees")
    other_member = make_member(name="Dr. Elsewhere")
    other_case = make_case(member=other_member, lead=team["outsider"])
    start_conversation(other_case, other_member, subject="Billing too", body="fees")

    lead = client_for(team["lead"])
    assert "Billing" in lead.get("/messages/inbox?q=fees").text
    assert "Billing too" not in lead.get("/messages/inbox?q=fees").text
    assert "Billing" in lead.get("/messages/inbox?q=member+one").text
    assert "Billing" in lead.get("/messages/inbox?q=100%25").text
    assert "No conversations match." in lead.get("/messages/inbox?q=10_%25").text
    assert "Billing too" in client_for(team["outsider"]).get("/messages/inbox?q=fees").text


def test_staff_can_start_a_conversation_with_a_member_of_their_case(team, client_for, emails):
    lead = client_for(team["lead"])
    response = lead.post(
        f"/messages/cases/{team['case'].id}/new",
        data={"subject": "Check-in", "body": "How did the workshop go?"},
    )
    assert response.status_code == 302
    conversation = db.session.scalars(db.select(Conversation)).one()
    message = db.session.scalars(db.select(Message)).one()
    assert message.kind is MessageKind.STAFF and conversation.awaiting_reply_since is None
    assert emails() == [(team["member"].email, "notification")]
    assert (
        client_for(team["outsider"]).get(f"/messages/cases/{team['case'].id}/new").status_code
        == 403  # asked for a reason (break-glass), not let in
    )


def test_a_member_without_a_case_cannot_start_a_conversation(make_member, client_for):
    browser = client_for(make_member())
    assert browser.get("/messages/new").status_code == 302
    assert "New message" not in browser.get("/messages/").text


def test_pages_are_in_french_for_a_french_member(team, client_for, make_member, make_case):
    member = make_member(language="fr")
    make_case(member=member, lead=team["lead"])
    browser = client_for(member)
    page = browser.get("/messages/new")
    assert '<html lang="fr">' in page.text
