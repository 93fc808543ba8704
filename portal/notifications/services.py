"""Telling someone that something is waiting for them in the portal.

Every feature notifies through `notify`: it records the news and, in the same transaction as the
action, queues a content-free email ("You have something new in the MSP Portal" and a link) in the
outbox. The email never says what is waiting.

Batching, so that a lively conversation is not a flood of email: a person gets at most one email
per topic (e.g. "conversation:7") per NOTIFICATION_BATCH_WINDOW. News arriving inside the window
is held; when the window has passed, the periodic job `release_held_notifications` sends one email
for everything held on the topic, unless the person has seen it in the portal meanwhile
(`mark_topic_seen`). People who chose the daily digest get one email each morning instead, saying
only how many things are new.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, or_, select, update

from portal import clock
from portal.auth.models import User
from portal.extensions import db
from portal.notifications.models import Frequency, Notification, NotificationPreference
from portal.outbox.services import external_url, queue_email

log = logging.getLogger(__name__)


def frequency_for(user: User) -> Frequency:
    preference = db.session.get(NotificationPreference, user.id)
    return preference.frequency if preference else Frequency.IMMEDIATE


def set_frequency(user: User, frequency: Frequency) -> None:
    preference = db.session.get(NotificationPreference, user.id)
    if preference is None:
        preference = NotificationPreference(user_id=user.id)
        db.session.add(preference)
    if frequency is Frequency.DAILY and preference.frequency is not Frequency.DAILY:
        # The first digest is the next morning's, not one right now.
        preference.last_digest_at = clock.now()
    preference.frequency = frequency


def _pending(user_id: int, topic: str | None = None) -> list:
    conditions = [
        Notification.user_id == user_id,
        Notification.emailed_at.is_(None),
        Notification.dismissed_at.is_(None),
    ]
    if topic is not None:
        conditions.append(Notification.topic == topic)
    return conditions


def _emailed_recently(user_id: int, topic: str, now: datetime) -> bool:
    window = current_app.config["NOTIFICATION_BATCH_WINDOW"]
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Notification.user_id == user_id,
                    Notification.topic == topic,
                    Notification.emailed_at > now - window,
                )
            )
        )
    )


def _email_pending_on_topic(user: User, topic: str, link: str, now: datetime) -> bool:
    """Claim what is pending for `user` on `topic` and queue one email for it. False when there is
    nothing left to claim (another worker took it, or the user has seen it)."""
    claimed = db.session.execute(
        update(Notification)
        .where(*_pending(user.id, topic))
        .values(emailed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    queue_email(user, "notification", link=link, topic=topic)
    return True


def notify(user: User, *, topic: str, endpoint: str, **values) -> None:
    """Let `user` know something new awaits at `endpoint` (built with `values`).

    `topic` names what the news is about (e.g. "assessment:12", "conversation:7"): several
    notifications on one topic within the batch window give one email. The caller commits.
    """
    if not user.active:
        return
    now = clock.now()
    link = external_url(endpoint, **values)
    db.session.add(Notification(user_id=user.id, topic=topic, link=link, created_at=now))
    db.session.flush()
    if frequency_for(user) is Frequency.DAILY or _emailed_recently(user.id, topic, now):
        return  # held for the digest, or for the end of the batch window
    _email_pending_on_topic(user, topic, link, now)


def mark_topic_seen(user: User, topic: str) -> None:
    """The user has seen `topic` in the portal: what was held about it need not be emailed."""
    db.session.execute(
        update(Notification)
        .where(*_pending(user.id, topic))
        .values(dismissed_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def release_held_notifications() -> int:
    """Email what was held during a batch window that has now passed (for people who chose
    immediate emails). Returns the number of emails queued; commits after each."""
    now = clock.now()
    daily = select(NotificationPreference.user_id).where(
        NotificationPreference.frequency == Frequency.DAILY
    )
    held = db.session.execute(
        select(Notification.user_id, Notification.topic, func.max(Notification.id))
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.emailed_at.is_(None),
            Notification.dismissed_at.is_(None),
            User.active.is_(True),
            Notification.user_id.not_in(daily),
        )
        .group_by(Notification.user_id, Notification.topic)
    ).all()
    queued = 0
    for user_id, topic, latest_id in held:
        if _emailed_recently(user_id, topic, now):
            continue
        user = db.session.get(User, user_id)
        link = db.session.get(Notification, latest_id).link
        if _email_pending_on_topic(user, topic, link, now):
            queued += 1
        db.session.commit()
    return queued


def digest_due_mark(now: datetime) -> datetime:
    """The latest digest time (NOTIFICATION_DIGEST_HOUR, portal time zone) at or before `now`."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = now.astimezone(zone)
    mark = local.replace(
        hour=current_app.config["NOTIFICATION_DIGEST_HOUR"], minute=0, second=0, microsecond=0
    )
    if mark > local:
        mark -= timedelta(days=1)
    return mark


def send_due_digests() -> int:
    """Queue each daily-digest user's digest, once per day at NOTIFICATION_DIGEST_HOUR: a
    content-free email saying how many things are new, with a link. Returns the number queued;
    commits after each. Safe to run often, and from several workers at once."""
    now = clock.now()
    mark = digest_due_mark(now)
    due_before = or_(
        NotificationPreference.last_digest_at.is_(None),
        NotificationPreference.last_digest_at < mark,
    )
    candidates = db.session.scalars(
        select(NotificationPreference.user_id)
        .join(User, User.id == NotificationPreference.user_id)
        .where(
            NotificationPreference.frequency == Frequency.DAILY,
            due_before,
            User.active.is_(True),
            exists().where(*_pending(NotificationPreference.user_id)),
        )
        .order_by(NotificationPreference.user_id)
    ).all()
    queued = 0
    for user_id in candidates:
        claimed = db.session.execute(
            update(NotificationPreference)
            .where(NotificationPreference.user_id == user_id, due_before)
            .values(last_digest_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        count = db.session.execute(
            update(Notification)
            .where(*_pending(user_id))
            .values(emailed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed and count:
            user = db.session.get(User, user_id)
            queue_email(user, "digest", link=external_url("home.index"), count=count)
            queued += 1
            db.session.commit()
        else:
            db.session.rollback()
    return queued


def run_notification_jobs() -> None:
    """The periodic job the outbox worker runs."""
    released = release_held_notifications()
    digests = send_due_digests()
    if released or digests:
        log.info("notifications: %s held emails released, %s digests queued", released, digests)
