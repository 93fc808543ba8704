from flask import Blueprint

bp = Blueprint("twofactor", __name__)

from portal.twofactor import views  # noqa: E402, F401
