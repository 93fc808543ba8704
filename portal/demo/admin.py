"""Demo content for the administration pages: an email that failed for good, with the relay's
error, so that an admin can see the outbox's failed list and send it again."""

from datetime import timedelta

from portal import clock
from portal.auth.services import find_user_by_email
from portal.outbox.models import EmailStatus
from portal.outbox.services import external_url, queue_email


def load_admin_demo() -> None:
    advisor2 = find_user_by_email("advisor2@example.org")
    email = queue_email(advisor2, "notification", link=external_url("messaging.inbox"))
    failed_at = clock.now() - timedelta(hours=3)
    email.created_at = failed_at - timedelta(hours=9)
    email.status = EmailStatus.FAILED
    email.attempts = 8
    email.next_attempt_at = failed_at
    email.last_error = (
        "SMTPRecipientsRefused: {'advisor2@example.org': (450, b'4.2.2 Mailbox full')}"
    )
