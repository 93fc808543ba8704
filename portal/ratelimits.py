"""Per-user limits on actions that cost the team attention or storage (sending messages, uploading
files), kept in the same storage as the other rate limits (RATELIMIT_STORAGE_URI: Redis when
several app servers run).

A view asks before it acts and, when refused, shows the form again with its text: what someone
wrote is never lost to a limit, as it would be behind a bare 429 page.
"""

from flask import current_app
from limits import parse_many

from portal.auth.models import User
from portal.extensions import limiter

LIMITS = {
    "message": "MESSAGE_RATE_LIMIT",
    "upload": "UPLOAD_RATE_LIMIT",
    "archive": "PRIVACY_ARCHIVE_RATE_LIMIT",
    "email_change": "EMAIL_CHANGE_RATE_LIMIT",
}


def allow(action: str, user: User) -> bool:
    """Count one `action` by `user`; False (and nothing counted) when a limit is reached."""
    if not limiter.enabled:
        return True
    items = parse_many(current_app.config[LIMITS[action]])
    # Under the same prefix as Flask-Limiter's own keys, so that portals sharing one Redis (or
    # test runs sharing CI's) never count each other's users.
    keys = (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), "user-action", action, str(user.id))
    if not all(limiter.limiter.test(item, *keys) for item in items):
        return False
    for item in items:
        limiter.limiter.hit(item, *keys)
    return True
