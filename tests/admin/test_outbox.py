"""The outbox page: what happened to each email, never what it says; a failed email is sent again
once, however many times the button is pressed."""

from datetime import timedelta

from portal import clock
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.outbox.models import EmailStatus, OutboxEmail
from portal.outbox.services import queue_email
from portal.outbox.worker import send_due_emails


def _email(user, status=EmailStatus.PENDING, **changes) -> OutboxEmail:
    email = queue_email(user, "notification", link="http://portal.test/messages/")
    email.status = status
    for name, value in changes.items():
        setattr(email, name, value)
    db.session.commit()
    return email


def _failed(user, **changes) -> OutboxEmail:
    return _email(
        user,
        EmailStatus.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused: mailbox full",
        **changes,
    )


def test_the_outbox_shows_delivery_facts_but_never_content(admin, admin_client, make_member):
    member = make_member(email="reader@example.org")
    failed = _failed(member)
    _email(member, EmailStatus.SENT, sent_at=clock.now(), body_text=None, body_html=None)
    page = admin_client.get("/admin/outbox")
    assert page.status_code == 200
    text = page.text
    assert "reader@example.org" in text and "<code>notification</code>" in text
    assert "SMTPRecipientsRefused: mailbox full" in text and "Failed" in text and "Sent" in text
    assert failed.subject not in text
    assert "Sign in to see it" not in text and "portal.test/messages/" not in text
    viewed = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "outbox.viewed"))
    assert viewed.one().actor_id == admin.id


def test_filter_by_status(admin_client, make_member):
    member = make_member()
    _failed(member)
    _email(member)
    failed_only = admin_client.get("/admin/outbox?status=failed").text
    assert failed_only.count("<tr>") == 2 and "Send again" in failed_only
    pending_only = admin_client.get("/admin/outbox?status=pending").text
    assert pending_only.count("<tr>") == 2 and "Send again" not in pending_only
    assert admin_client.get("/admin/outbox?status=nonsense").text.count("<tr>") == 3


def test_a_failed_email_is_retried_once_and_the_retry_is_audited(admin, admin_client, make_member):
    email = _failed(make_member(), next_attempt_at=clock.now() - timedelta(days=1))
    response = admin_client.post(f"/admin/outbox/{email.id}/retry?status=failed")
    assert response.status_code == 302 and response.location == "/admin/outbox?status=failed"
    db.session.refresh(email)
    assert email.status is EmailStatus.PENDING and email.attempts == 0
    assert abs(email.next_attempt_at - clock.now()) < timedelta(minutes=1)
    # A double click: the email is no longer failed, so nothing happens again.
    admin_client.post(f"/admin/outbox/{email.id}/retry")
    retried = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "outbox.retried")
    ).all()
    assert [(e.actor_id, e.object_id) for e in retried] == [(admin.id, email.id)]
    assert "no longer failed" in admin_client.get("/admin/outbox").text


def test_two_admins_retrying_at_once_put_it_back_once(app, admin, make_member):
    from portal.admin.services import retry_email

    email = _failed(make_member())
    assert retry_email(email.id, by=admin) is True
    assert retry_email(email.id, by=admin) is False  # the conditional UPDATE matches nothing
    db.session.commit()
    assert (
        db.session.scalar(db.select(db.func.count()).where(AuditEvent.action == "outbox.retried"))
        == 1
    )


def test_a_retried_email_is_sent_by_the_worker(app, admin_client, make_member, mail_server):
    member = make_member(email="again@example.org")
    email = _failed(member)
    admin_client.post(f"/admin/outbox/{email.id}/retry")
    assert send_due_emails() == (1, 0)
    db.session.refresh(email)
    assert email.status is EmailStatus.SENT and email.attempts == 1
    assert [m["To"] for m in mail_server.messages()] == ["again@example.org"]


def test_a_failed_email_without_its_content_cannot_be_retried(admin_client, make_member):
    email = _failed(make_member(), body_text=None, body_html=None)
    page = admin_client.get("/admin/outbox").text
    assert "Cannot be sent again: its content was erased." in page and "Send again" not in page
    admin_client.post(f"/admin/outbox/{email.id}/retry")
    db.session.refresh(email)
    assert email.status is EmailStatus.FAILED
    assert admin_client.post("/admin/outbox/999999/retry").status_code == 404


def test_the_outbox_page_costs_the_same_whatever_the_number_of_emails(
    admin_client, make_member, query_counter
):
    member = make_member()
    _failed(member)
    admin_client.get("/admin/outbox")
    with query_counter() as few:
        admin_client.get("/admin/outbox")
    for _ in range(20):
        _failed(member)
    with query_counter() as many:
        admin_client.get("/admin/outbox")
    assert many.count == few.count


def test_members_and_staff_cannot_see_or_retry(make_member, make_staff, client_for):
    member = make_member()
    email = _failed(member)
    for user in (member, make_staff()):
        client = client_for(user)
        assert client.get("/admin/outbox").status_code == 403
        assert client.post(f"/admin/outbox/{email.id}/retry").status_code == 403
    db.session.refresh(email)
    assert email.status is EmailStatus.FAILED
