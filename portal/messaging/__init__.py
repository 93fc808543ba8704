"""Secure messaging between members and the MSP team."""

from flask import Blueprint, g, has_request_context
from flask_login import current_user

bp = Blueprint("messaging", __name__, url_prefix="/messages")


@bp.app_context_processor
def unread_messages_in_navigation() -> dict:
    """The unread count in the navigation: one query per request, for signed-in users only. It is
    counted up to a limit, past which the badge says "99+"."""
    if not has_request_context() or not current_user.is_authenticated:
        return {}
    if "unread_messages" not in g:
        from portal.messaging.services import UNREAD_COUNT_LIMIT, unread_count_for

        count = unread_count_for(current_user)
        g.unread_messages = count if count < UNREAD_COUNT_LIMIT else f"{UNREAD_COUNT_LIMIT - 1}+"
    return {"unread_messages": g.unread_messages}


from portal.messaging import views  # noqa: E402, F401
