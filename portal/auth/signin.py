"""Opening and closing a signed-in session in a request (the password step, the second-factor
step and an accepted invitation all begin here; signing out and a lockout end here)."""

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from portal.auth import services
from portal.auth.models import User


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def begin_session(user: User) -> None:
    # A fresh cookie at sign-in: nothing from the anonymous session carries over.
    session.clear()
    services.start_session(
        user, ip_address=request.remote_addr, user_agent=request.user_agent.string
    )
    session.permanent = True
    login_user(user)


def forget_signed_in_user() -> None:
    """This browser is signed out (the server-side session is ended by the caller). The language
    the person was reading in stays, so the sign-in page that follows is in it."""
    language = str(get_locale())
    logout_user()
    session.clear()
    session["language"] = language


def paused_message() -> str:
    """What a locked account's sign-in and password forms say."""
    return _(
        "Sign-in to this account is paused for %(minutes)d minutes after too many attempts. Try "
        "again later, or reset your password.",
        minutes=services.lockout_minutes(),
    )


def refuse_password(checked: services.Reauthentication, field):
    """A form that asked for the password again refused it (the caller has committed). The wrong
    password that has just locked the account ended this session (services.reauthenticate): the
    browser goes to the sign-in page, which says why, and that response is returned. Otherwise
    `field` says what was wrong, and None is returned for the form to be shown again."""
    minutes = services.lockout_minutes()
    if checked is services.Reauthentication.WRONG_NOW_LOCKED:
        forget_signed_in_user()
        flash(
            _(
                "After too many wrong passwords, sign-in to your account is paused for "
                "%(minutes)d minutes, and you were signed out. If it was you, sign in again in "
                "%(minutes)d minutes; if not, reset your password now.",
                minutes=minutes,
            ),
            "error",
        )
        return redirect(url_for("auth.login"))
    if checked is services.Reauthentication.LOCKED:
        field.errors.append(paused_message())
    else:
        field.errors.append(
            _(
                "This is not your current password. After %(num)d wrong passwords, sign-in to "
                "your account is paused for %(minutes)d minutes.",
                num=current_app.config["LOGIN_MAX_FAILURES"],
                minutes=minutes,
            )
        )
    return None
