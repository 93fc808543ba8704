from flask import Blueprint

bp = Blueprint("checkins", __name__)

from portal.checkins import views  # noqa: E402, F401
