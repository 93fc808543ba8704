"""Telling someone that something is waiting for them in the portal.

Every feature notifies through `notify`: it queues a content-free email ("You have something new
in the MSP Portal" and a link) in the outbox, in the same transaction as the action. The email
never says what is waiting.
"""

from portal.auth.models import User
from portal.outbox.services import external_url, queue_email


def notify(user: User, *, topic: str, endpoint: str, **values) -> None:
    """Let `user` know something new awaits at `endpoint` (built with `values`).

    `topic` names what the news is about (e.g. "assessment:12", "conversation:7"), so that several
    notifications on one topic can be batched into one email.
    """
    if not user.active:
        return
    queue_email(user, "notification", link=external_url(endpoint, **values), topic=topic)
