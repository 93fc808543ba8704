"""Two-factor sign-in with TOTP (RFC 6238) and recovery codes.

Staff and admins must use it (TWO_FACTOR_REQUIRED_ROLES); members may turn it on. A code is
accepted once: the step it belongs to is remembered, and a recovery code is spent when used.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from datetime import datetime

import pyotp
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from portal import clock
from portal.audit.models import Outcome
from portal.audit.services import record
from portal.auth.models import User
from portal.auth.services import Reauthentication, end_all_sessions, reauthenticate
from portal.extensions import db
from portal.twofactor.models import RecoveryCode, TotpCredential

ISSUER = "MSP Portal"
RECOVERY_CODE_COUNT = 10
# Codes from the step before and after the current one are accepted, for clocks a little apart.
VALID_WINDOW = 1
STEP_SECONDS = 30


def is_required_for(user: User) -> bool:
    return user.role.value in current_app.config["TWO_FACTOR_REQUIRED_ROLES"]


def is_enabled(user: User) -> bool:
    return user.two_factor_enabled_at is not None


def needs_enrolment(user: User) -> bool:
    return is_required_for(user) and not is_enabled(user)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, drawn here: the secret never leaves the portal."""
    import qrcode  # with Pillow, some 4 MB: loaded by the worker that first enrols someone
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, to sit inside HTML


def grouped(secret: str) -> str:
    """The secret as people type it: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _is_totp_code(code: str) -> bool:
    return re.fullmatch(r"[0-9]{6}", code) is not None


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    if not _is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret)
    current = _step(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _normalise(code: str) -> str:
    """Codes as typed: any case, spaces and dashes ignored; only ASCII letters and digits count."""
    return re.sub(r"[^0-9a-z]", "", code.lower())


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits each, shown as xxxxx-xxxxx
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)))
    return codes


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Turn the second factor on with `secret` once `code` proves the authenticator has it.
    Returns the new recovery codes (to be shown once), or None when the code is wrong. Every
    other session of the account ends: it was opened without this factor."""
    step = _matching_step(secret, _normalise(code), clock.now())
    if step is None:
        record(
            "account.two_factor_enabled",
            actor=user,
            outcome=Outcome.FAILURE,
            object_type="user",
            object_id=user.id,
        )
        return None
    credential = db.session.get(TotpCredential, user.id)
    if credential is None:
        credential = TotpCredential(user_id=user.id)
        db.session.add(credential)
    credential.secret = secret
    credential.last_used_step = step
    user.two_factor_enabled_at = clock.now()
    codes = _new_recovery_codes(user)
    end_all_sessions(user, reason="two_factor_changed", keep_token=user.session_token)
    record("account.two_factor_enabled", actor=user, object_type="user", object_id=user.id)
    return codes


def enable_with_known_secret(user: User, secret: str) -> None:
    """For the development demo only: enrol with a published secret, no code asked."""
    db.session.add(TotpCredential(user_id=user.id, secret=secret))
    user.two_factor_enabled_at = clock.now()


def check_password(user: User, password: str, *, purpose: str) -> Reauthentication:
    """Changing a second factor (`purpose`: "set up", "new recovery codes", "turn off") asks for
    the password again; a refusal is audited with what it was for."""
    checked = reauthenticate(user, password)
    if checked is not Reauthentication.OK:
        record(
            "account.reauthentication",
            actor=user,
            outcome=Outcome.FAILURE,
            object_type="user",
            object_id=user.id,
            detail=f"{purpose}: {checked.detail}",
        )
    return checked


def verify(user: User, code: str) -> str | None:
    """Check a sign-in code: a TOTP code for a step not used before, or an unused recovery code.
    Returns "totp" or "recovery" when accepted (the step or the code is spent), else None."""
    normalised = _normalise(code)
    credential = db.session.get(TotpCredential, user.id)
    if credential is None:
        return None
    if _is_totp_code(normalised):
        step = _matching_step(credential.secret, normalised, clock.now())
        if step is None:
            return None
        # Spend the step with a conditional UPDATE: of two requests racing with one code, one wins.
        spent = db.session.execute(
            update(TotpCredential)
            .where(
                TotpCredential.user_id == user.id,
                or_(
                    TotpCredential.last_used_step.is_(None),
                    TotpCredential.last_used_step < step,
                ),
            )
            .values(last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        return "totp" if spent.rowcount == 1 else None
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return "recovery" if spent.rowcount == 1 else None


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    record("account.recovery_codes_renewed", actor=user, object_type="user", object_id=user.id)
    return codes


def disable(user: User) -> None:
    """Turn the second factor off (members only: staff must keep one). Other sessions end."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    user.two_factor_enabled_at = None
    end_all_sessions(user, reason="two_factor_changed", keep_token=user.session_token)
    record("account.two_factor_disabled", actor=user, object_type="user", object_id=user.id)
