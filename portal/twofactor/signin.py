"""The second factor's part of signing in: between the password and the session, and the gate
that sends staff without a second factor to set one up."""

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.auth.models import User
from portal.extensions import db
from portal.twofactor import services

PENDING = "two_factor_pending"
PENDING_SECRET = "two_factor_new_secret"
PENDING_SECONDS = 300
ENROLMENT_ENDPOINTS = {"twofactor.settings", "twofactor.setup", "auth.logout"}


def ask_for_code(user: User, next_url: str | None):
    """After a right password, when the account has a second factor: no session yet, only a
    short-lived note (in the signed cookie) of who passed the first step."""
    session.clear()
    session[PENDING] = {"user_id": user.id, "at": int(clock.now().timestamp()), "next": next_url}
    return redirect(url_for("twofactor.verify"))


def pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending or clock.now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user_id"))
    if user is None or not user.active or not services.is_enabled(user):
        return None
    return user


def enrolment_redirect():
    """Staff who must use a second factor and have none yet reach only the page that sets it up
    (and signing out). Called by the access gate for signed-in requests."""
    if request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if not current_app.config["TWO_FACTOR_REQUIRED_ROLES"]:
        return None
    if services.needs_enrolment(current_user):
        flash(_("Set up two-step sign-in to continue: it protects members' records."), "info")
        return redirect(url_for("twofactor.settings"))
    return None
