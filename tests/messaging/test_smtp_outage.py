"""An SMTP outage during a reply loses nothing: the reply is saved and shown, its notification
waits in the outbox, and reaches the member once the relay is back."""

from __future__ import annotations

from portal.extensions import db
from portal.messaging.models import Message
from portal.outbox.models import EmailStatus, OutboxEmail
from portal.outbox.worker import send_due_emails
from tests.messaging.helpers import start_conversation


def test_a_reply_during_an_smtp_outage_is_kept_and_its_email_sent_later(
    team, client_for, mail_server
):
    conversation = start_conversation(team["case"], team["member"])
    assert send_due_emails() == (2, 0)  # the team's notifications
    mail_server.stop()

    lead = client_for(team["lead"])
    response = lead.post(f"/messages/{conversation.id}/reply", data={"body": "Our answer"})
    assert response.status_code == 302
    assert send_due_emails() == (0, 1)  # the relay is down: the attempt fails

    db.session.expire_all()
    reply = db.session.scalars(db.select(Message).order_by(Message.id.desc())).first()
    assert reply.body == "Our answer"
    assert "Our answer" in client_for(team["member"]).get(f"/messages/{conversation.id}").text
    pending = db.session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.to_address == team["member"].email)
    ).one()
    assert pending.status is EmailStatus.PENDING and pending.attempts == 1

    mail_server.start()
    assert send_due_emails() == (1, 0)
    received = [m for m in mail_server.messages() if m["To"] == team["member"].email]
    assert len(received) == 1
    text = received[0].get_body(preferencelist=("plain",)).get_content()
    assert f"/messages/{conversation.id}" in text and "Our answer" not in text
