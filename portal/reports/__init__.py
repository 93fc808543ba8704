"""The program report: de-identified figures about the whole program, for administrators."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/admin")

from portal.reports import views  # noqa: E402, F401
