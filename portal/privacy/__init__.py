from flask import Blueprint

# The member's right of access: /my-data explains the archive, /my-data/archive sends it.
bp = Blueprint("privacy", __name__)

from portal.privacy import views  # noqa: E402, F401
