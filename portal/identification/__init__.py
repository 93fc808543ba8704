"""Program step 1, identification: the register, the peer comparison and the screening queue."""

from flask import Blueprint

bp = Blueprint("identification", __name__, url_prefix="/identification")
