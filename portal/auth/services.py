"""Accounts, sign-in, sessions and single-use links, as plain functions.

Functions add to the database session and leave the commit to the caller, so that an action, its
audit event and its email (an outbox row) are committed together or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.orm import joinedload

from portal import clock
from portal.audit.models import Outcome
from portal.audit.services import record
from portal.auth.models import (
    AccountToken,
    EmailChange,
    LoginThrottle,
    Role,
    TokenPurpose,
    User,
    UserSession,
)
from portal.auth.passwords import hash_password, needs_rehash, verify_password
from portal.extensions import db
from portal.outbox.services import external_url, queue_email
from portal.transactions import upsert

# A signed-in session is refreshed at most this often, so a page view is not a write each time.
LAST_SEEN_GRANULARITY = timedelta(seconds=60)


class AccountError(Exception):
    """An account operation refused for a reason the user can be told."""


class DuplicateEmail(AccountError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    language: str | None = None,
) -> User:
    if find_user_by_email(email) is not None:
        raise DuplicateEmail(email)
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role=role,
        language=language,
        password_hash=hash_password(password) if password else None,
        password_changed_at=clock.now() if password else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


# --- Single-use links --------------------------------------------------------------------------


def new_link_token() -> tuple[str, str]:
    """A fresh token for a single-use link, and the hash that is stored instead of it."""
    raw = secrets.token_urlsafe(32)
    return raw, _digest(raw)


def link_token_hash(raw: str) -> str:
    return _digest(raw)


def issue_token(user: User, purpose: TokenPurpose) -> str:
    """A new single-use link token for `user`; earlier unused ones for the same purpose stop
    working."""
    now = clock.now()
    revoke_tokens(user, purpose)
    validity = {
        TokenPurpose.INVITATION: current_app.config["INVITATION_VALIDITY"],
        TokenPurpose.PASSWORD_RESET: current_app.config["PASSWORD_RESET_VALIDITY"],
    }[purpose]
    raw, token_hash = new_link_token()
    db.session.add(
        AccountToken(
            token_hash=token_hash,
            user_id=user.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + validity,
        )
    )
    return raw


def find_usable_token(raw: str, purpose: TokenPurpose) -> AccountToken | None:
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _digest(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or not token.is_usable(clock.now()) or not token.user.active:
        return None
    if purpose is TokenPurpose.INVITATION and token.user.has_password:
        return None  # an invitation only ever sets the first password
    return token


def send_invitation(user: User, *, case_id: int | None = None) -> None:
    raw = issue_token(user, TokenPurpose.INVITATION)
    days = current_app.config["INVITATION_VALIDITY"].days
    queue_email(
        user, "invitation", link=external_url("auth.accept_invitation", token=raw), days=days
    )
    record("account.invitation_sent", object_type="user", object_id=user.id, case_id=case_id)


def set_password(user: User, password: str) -> None:
    """Set the password; every single-use link still out for the account (an email change
    waiting for confirmation too) stops working."""
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()
    revoke_tokens(user)
    cancel_email_changes(user)


def revoke_tokens(user: User, purpose: TokenPurpose | None = None) -> None:
    """Every single-use link still out for `user` (of one purpose, or all) stops working."""
    conditions = [
        AccountToken.user_id == user.id,
        AccountToken.used_at.is_(None),
        AccountToken.revoked_at.is_(None),
    ]
    if purpose is not None:
        conditions.append(AccountToken.purpose == purpose)
    db.session.execute(
        update(AccountToken)
        .where(*conditions)
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def cancel_email_changes(user: User) -> int:
    """Cancel the change of email address waiting for confirmation, if any; how many were."""
    result = db.session.execute(
        update(EmailChange)
        .where(
            EmailChange.user_id == user.id,
            EmailChange.confirmed_at.is_(None),
            EmailChange.cancelled_at.is_(None),
        )
        .values(cancelled_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def accept_invitation(token: AccountToken, password: str) -> User:
    token.used_at = clock.now()
    set_password(token.user, password)
    end_all_sessions(token.user, reason="invitation_accepted")
    record(
        "account.invitation_accepted", actor=token.user, object_type="user", object_id=token.user_id
    )
    return token.user


def request_password_reset(email: str) -> None:
    """Email a reset link if an active account has this address. The caller answers the same way
    whatever happens here."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        record(
            "account.password_reset_requested", outcome=Outcome.FAILURE, detail="no active account"
        )
        return
    raw = issue_token(user, TokenPurpose.PASSWORD_RESET)
    minutes = int(current_app.config["PASSWORD_RESET_VALIDITY"].total_seconds() // 60)
    queue_email(
        user, "password_reset", link=external_url("auth.reset_password", token=raw), minutes=minutes
    )
    record("account.password_reset_requested", actor=user, object_type="user", object_id=user.id)


def reset_password(token: AccountToken, password: str) -> User:
    user = token.user
    token.used_at = clock.now()
    set_password(user, password)
    end_all_sessions(user, reason="password_reset")
    clear_failed_sign_ins(user.email)
    queue_email(user, "password_changed", link=external_url("auth.login"))
    record("account.password_reset", actor=user, object_type="user", object_id=user.id)
    return user


def change_password(user: User, current_password: str, new_password: str) -> Reauthentication:
    """Change the password if `current_password` is right; the account's other sessions end."""
    checked = reauthenticate(user, current_password)
    if checked is not Reauthentication.OK:
        record(
            "account.password_change",
            outcome=Outcome.FAILURE,
            object_type="user",
            object_id=user.id,
            detail=checked.detail,
        )
        return checked
    set_password(user, new_password)
    end_all_sessions(user, reason="password_changed", keep_token=user.session_token)
    queue_email(user, "password_changed", link=external_url("auth.login"))
    record("account.password_change", object_type="user", object_id=user.id)
    return checked


# --- Signing in --------------------------------------------------------------------------------


class Reauthentication(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    WRONG_NOW_LOCKED = "wrong_now_locked"  # the wrong password that reached the limit
    LOCKED = "locked"  # refused without looking at the password

    @property
    def detail(self) -> str:
        """What the audit event of a refusal says."""
        return {
            Reauthentication.WRONG: "wrong password",
            Reauthentication.WRONG_NOW_LOCKED: "wrong password; now locked",
            Reauthentication.LOCKED: "locked",
        }[self]


def reauthenticate(user: User, password: str) -> Reauthentication:
    """Check the password a signed-in user gives again before a sensitive change (their password,
    email address or second factor). A wrong one counts towards the account's lockout as a wrong
    sign-in does, so that a stolen session cannot be used to guess the password at the speed of
    the form; while the account is locked, no password is checked. The caller audits a refusal."""
    if is_locked(user.email):
        return Reauthentication.LOCKED
    if not verify_password(user.password_hash, password):
        if not record_failed_sign_in(user.email, user, signed_in=True):
            return Reauthentication.WRONG
        # Perhaps a stolen session guessing the password: it ends here, whoever holds it.
        if user.session_token:
            end_session(user.session_token, reason="locked")
        return Reauthentication.WRONG_NOW_LOCKED
    clear_failed_sign_ins(user.email)
    return Reauthentication.OK


class LoginOutcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None


def _throttle_key(email: str) -> str:
    return _digest(normalise_email(email))


def clear_failed_sign_ins(email: str) -> None:
    """The account holder proved who they are: their earlier mistakes are forgiven."""
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.identifier_hash == _throttle_key(email))
    )


def lockout_minutes() -> int:
    return int(current_app.config["LOGIN_LOCKOUT"].total_seconds() // 60)


def record_failed_sign_in(email: str, user: User | None, *, signed_in: bool = False) -> bool:
    """Count a failed sign-in (a wrong password or code) for this address; True when it has just
    locked the address. `signed_in`: the wrong password was given in a signed-in session, asked
    again before a sensitive change (the lockout email says so).

    The count is one statement (INSERT … ON CONFLICT DO UPDATE … RETURNING), so that attempts made
    in parallel each count; of several over the limit together, one locks and sends the email, and
    the others find it locked."""
    config = current_app.config
    now = clock.now()
    key = _throttle_key(email)
    forgiven_before = now - config["LOGIN_LOCKOUT"]  # an older streak of failures is forgiven
    failures = db.session.execute(
        upsert(
            LoginThrottle,
            {"identifier_hash": key, "failures": 1, "last_failure_at": now},
            key=["identifier_hash"],
            update=["last_failure_at"],
            assign={
                "failures": case(
                    (LoginThrottle.last_failure_at < forgiven_before, 1),
                    else_=LoginThrottle.failures + 1,
                )
            },
        ).returning(LoginThrottle.failures)
    ).scalar_one()
    if failures < config["LOGIN_MAX_FAILURES"]:
        return False
    # Over the limit: lock, unless a parallel attempt already has (the count goes on until it is
    # forgiven, so an attempt counted after a lock lifts locks again at once).
    locking = db.session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.identifier_hash == key,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .values(locked_until=now + config["LOGIN_LOCKOUT"])
    )
    if locking.rowcount == 0:
        return True
    record(
        "auth.lockout",
        actor=user,
        outcome=Outcome.FAILURE,
        object_type="user",
        object_id=user.id if user else None,
        detail="password asked again" if signed_in else None,
    )
    if user is not None:
        queue_email(
            user,
            "account_locked",
            link=external_url("auth.forgot_password"),
            signed_in=signed_in,
            minutes=lockout_minutes(),
        )
    return True


def is_locked(email: str) -> bool:
    """Whether too many wrong passwords or codes have paused this address's sign-ins."""
    locked_until = db.session.scalar(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.identifier_hash == _throttle_key(email)
        )
    )
    return locked_until is not None and locked_until > clock.now()


def authenticate(email: str, password: str) -> LoginResult:
    user = find_user_by_email(email)
    if is_locked(email):
        # Locked: the answer is the same whether or not the password is right.
        record("auth.login", actor=user, outcome=Outcome.FAILURE, detail="locked")
        return LoginResult(LoginOutcome.LOCKED)
    if not verify_password(user.password_hash if user else None, password):
        locked = record_failed_sign_in(email, user)
        record(
            "auth.login",
            actor=user,
            outcome=Outcome.FAILURE,
            detail="unknown account" if user is None else "wrong password",
        )
        return LoginResult(LoginOutcome.LOCKED if locked else LoginOutcome.INVALID)
    if not user.active:
        record("auth.login", actor=user, outcome=Outcome.FAILURE, detail="inactive account")
        return LoginResult(LoginOutcome.INACTIVE)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.two_factor_enabled_at is None:
        # With a second step, the count is forgiven only once the code is right too
        # (portal/twofactor/views.py): the password alone must not reset the count of wrong codes.
        clear_failed_sign_ins(email)
    return LoginResult(LoginOutcome.OK, user)


def start_session(user: User, *, ip_address: str | None, user_agent: str | None) -> str:
    """Open a server-side session for `user`; the returned token goes into the session cookie."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(
        UserSession(
            token_hash=_digest(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip_address=ip_address,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    user.session_token = raw
    record("auth.login", actor=user, object_type="user", object_id=user.id)
    return raw


class SessionState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    ENDED = "ended"
    IDLE = "idle"
    EXPIRED = "expired"


def resume_session(raw: str) -> tuple[SessionState, User | None]:
    """The user behind a session token, if the session is still alive. Ends it when it has timed
    out, so a copied cookie cannot bring it back."""
    user_session = db.session.scalar(
        select(UserSession)
        .where(UserSession.token_hash == _digest(raw))
        .options(joinedload(UserSession.user))
    )
    if user_session is None:
        return SessionState.UNKNOWN, None
    if user_session.ended_at is not None or not user_session.user.active:
        return SessionState.ENDED, None
    config = current_app.config
    now = clock.now()
    if now - user_session.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]:
        _end(user_session, "absolute_timeout", now)
        return SessionState.EXPIRED, None
    if now - user_session.last_seen_at > config["SESSION_IDLE_TIMEOUT"]:
        _end(user_session, "idle_timeout", now)
        return SessionState.IDLE, None
    if now - user_session.last_seen_at > LAST_SEEN_GRANULARITY:
        user_session.last_seen_at = now
    user = user_session.user
    user.session_token = raw
    return SessionState.VALID, user


def _end(user_session: UserSession, reason: str, now) -> None:
    user_session.ended_at = now
    user_session.end_reason = reason


def end_session(raw: str, reason: str = "logout") -> None:
    user_session = db.session.scalar(
        select(UserSession).where(UserSession.token_hash == _digest(raw))
    )
    if user_session is not None and user_session.ended_at is None:
        _end(user_session, reason, clock.now())


def end_all_sessions(user: User, *, reason: str, keep_token: str | None = None) -> int:
    """End every open session of `user` (but the one holding `keep_token`). Returns how many."""
    conditions = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep_token:
        conditions.append(UserSession.token_hash != _digest(keep_token))
    result = db.session.execute(
        update(UserSession).where(*conditions).values(ended_at=clock.now(), end_reason=reason)
    )
    return result.rowcount


def set_active(user: User, active: bool) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    user.active = active
    if not active:
        end_all_sessions(user, reason="deactivated")
    record(
        "account.deactivated" if not active else "account.reactivated",
        object_type="user",
        object_id=user.id,
    )


def set_language(user: User, language: str) -> None:
    user.language = language
