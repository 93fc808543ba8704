"""Opening and closing a signed-in session in a request (the password step, the second-factor
step and an accepted invitation all begin here; signing out and a lockout end here)."""

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import get_locale
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


def signed_out_after_lockout():
    """The answer to the wrong password that locked the account: that session has been ended
    (auth.services.reauthenticate), so the browser goes to the sign-in page, which says why."""
    forget_signed_in_user()
    flash(services.Reauthentication.WRONG_NOW_LOCKED.message, "error")
    return redirect(url_for("auth.login"))
