from flask import Blueprint

# No URL prefix: staff pages are under /cases/, the member's view log under /my-file/.
bp = Blueprint("cases", __name__)

from portal.cases import views  # noqa: E402, F401
