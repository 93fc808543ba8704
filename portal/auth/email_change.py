"""Changing an account's email address, as plain functions (the caller commits).

The address is the account's sign-in name and where its password resets go, so a change asks for
the current password, and nothing changes until the new address proves it can receive mail: a
single-use link (made like the other account links) goes to it, while the old address is told that
a change was asked for. The link works only for the account signed in, so a mistyped address that
belongs to a stranger cannot be confirmed by them. Confirming ends the account's other sessions.
"""

from __future__ import annotations

from enum import StrEnum

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.audit.models import Outcome
from portal.audit.services import record
from portal.auth.models import EmailChange, User
from portal.auth.services import (
    Reauthentication,
    cancel_email_changes,
    end_all_sessions,
    find_user_by_email,
    link_token_hash,
    new_link_token,
    normalise_email,
    reauthenticate,
    revoke_tokens,
)
from portal.extensions import db
from portal.outbox.services import external_url, queue_email
from portal.ratelimits import allow


class RequestOutcome(StrEnum):
    SENT = "sent"
    SAME_ADDRESS = "same_address"
    UNAVAILABLE = "unavailable"
    TOO_MANY = "too_many"


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    UNAVAILABLE = "unavailable"
    STALE = "stale"  # confirmed, cancelled or superseded meanwhile (a double click)


def _address_taken(address: str, user: User) -> bool:
    other = find_user_by_email(address)
    return other is not None and other.id != user.id


def pending_change(user: User) -> EmailChange | None:
    """The change waiting for confirmation, if any (a newer request has replaced older ones)."""
    return db.session.scalar(
        select(EmailChange)
        .where(
            EmailChange.user_id == user.id,
            EmailChange.confirmed_at.is_(None),
            EmailChange.cancelled_at.is_(None),
            EmailChange.expires_at > clock.now(),
        )
        .order_by(EmailChange.id.desc())
        .limit(1)
    )


def _refuse_request(user: User, reason: str) -> None:
    record(
        "account.email_change_requested",
        outcome=Outcome.FAILURE,
        object_type="user",
        object_id=user.id,
        detail=reason,
    )


def request_email_change(
    user: User, current_password: str, new_email: str
) -> RequestOutcome | Reauthentication:
    """Ask for `user`'s address to become `new_email`: a confirmation link goes to the new
    address, a notice (without a link) to the current one; an earlier pending request is replaced.
    The password is checked first, so that only the account holder learns whether an address is
    taken: a refused password is returned as `reauthenticate` answered."""
    checked = reauthenticate(user, current_password)
    if checked is not Reauthentication.OK:
        _refuse_request(user, checked.detail)
        return checked
    address = normalise_email(new_email)
    if address == user.email:
        return RequestOutcome.SAME_ADDRESS
    # Counted before the address is looked up: whether an address has an account (a physician
    # referred to the program) is not to be probed at the speed of the form.
    if not allow("email_change", user):
        _refuse_request(user, "rate limited")
        return RequestOutcome.TOO_MANY
    if _address_taken(address, user):
        _refuse_request(user, "address in use")
        return RequestOutcome.UNAVAILABLE
    cancel_email_changes(user)
    now = clock.now()
    validity = current_app.config["EMAIL_CHANGE_VALIDITY"]
    raw, token_hash = new_link_token()
    change = EmailChange(
        user_id=user.id,
        new_email=address,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + validity,
    )
    db.session.add(change)
    db.session.flush()
    hours = int(validity.total_seconds() // 3600)
    queue_email(
        user,
        "email_change_confirm",
        to_address=address,
        link=external_url("auth.confirm_email_change", token=raw),
        hours=hours,
    )
    queue_email(user, "email_change_requested", hours=hours)
    record(
        "account.email_change_requested",
        object_type="user",
        object_id=user.id,
        detail=f"change {change.id}",
    )
    return RequestOutcome.SENT


def find_change_to_confirm(user: User, raw: str) -> EmailChange | None:
    """The pending change behind a confirmation link, if it is `user`'s and still usable."""
    change = db.session.scalar(
        select(EmailChange).where(
            EmailChange.token_hash == link_token_hash(raw), EmailChange.user_id == user.id
        )
    )
    if change is None or not change.is_pending(clock.now()):
        return None
    return change


def confirm_email_change(change: EmailChange) -> ConfirmOutcome:
    """Make the new address the account's: single use, every other session ends, links sent to
    the old address stop working, and the old address is told."""
    user = change.user
    if _address_taken(change.new_email, user):
        return _refuse_confirmation(user)
    now = clock.now()
    old_address = user.email
    try:
        with db.session.begin_nested():
            # Spent with a conditional UPDATE: of two requests racing with one link, one wins.
            spent = db.session.execute(
                update(EmailChange)
                .where(
                    EmailChange.id == change.id,
                    EmailChange.confirmed_at.is_(None),
                    EmailChange.cancelled_at.is_(None),
                )
                .values(confirmed_at=now)
                .execution_options(synchronize_session=False)
            )
            if spent.rowcount != 1:
                return ConfirmOutcome.STALE
            user.email = change.new_email
    except IntegrityError:
        # Another account took the address between the check above and now: the unique
        # constraint decides, the savepoint undoes this change's use, and it is refused (and
        # cancelled) like any other taken address.
        return _refuse_confirmation(user)
    # A password reset or invitation link went to the old address: it must not outlive it.
    revoke_tokens(user)
    end_all_sessions(user, reason="email_changed", keep_token=user.session_token)
    queue_email(user, "email_changed", to_address=old_address)
    record(
        "account.email_changed",
        object_type="user",
        object_id=user.id,
        detail=f"change {change.id}: {old_address} -> {change.new_email}",
    )
    return ConfirmOutcome.CONFIRMED


def _refuse_confirmation(user: User) -> ConfirmOutcome:
    cancel_email_changes(user)
    record(
        "account.email_changed",
        outcome=Outcome.FAILURE,
        object_type="user",
        object_id=user.id,
        detail="address in use",
    )
    return ConfirmOutcome.UNAVAILABLE


def cancel_email_change(user: User) -> bool:
    """Withdraw the pending change; its link stops working. False when none was pending."""
    if not cancel_email_changes(user):
        return False
    record("account.email_change_cancelled", object_type="user", object_id=user.id)
    return True
