"""Opening a signed-in session in a request (the password step, the second-factor step and an
accepted invitation all end here)."""

from flask import current_app, request, session
from flask_login import login_user

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
