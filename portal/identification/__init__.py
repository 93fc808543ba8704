"""Program step 1, identification: the register, the peer comparison and the screening queue."""

from datetime import timedelta

from flask import Blueprint
from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l

from portal.assessment.labels import MATTER_KINDS

bp = Blueprint("identification", __name__, url_prefix="/identification")

MATTER_NAMES = {
    "legal_action": _l("Legal action"),
    "college_complaint": _l("Regulatory-college complaint"),
    "hospital_matter": _l("Hospital matter"),
}


@bp.app_template_filter("number")
def number(value: float, places: int = 1) -> str:
    """A figure with `places` decimals, written the reader's way (2.5 or 2,5)."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(round(float(value), places), format=pattern)


@bp.app_template_filter("percent")
def percent(value: float) -> str:
    return format_percent(float(value))


@bp.context_processor
def _labels() -> dict:
    return {
        "kind_labels": {kind.value: label for kind, label in MATTER_KINDS.items()},
        "kind_names": MATTER_NAMES,
    }


@bp.record_once
def _schedule_screening(state) -> None:
    from portal.identification.screening import screen_nightly
    from portal.outbox.worker import register_periodic_job

    seconds = state.app.config["SCREENING_INTERVAL_SECONDS"]
    register_periodic_job(state.app, "screening", timedelta(seconds=seconds), screen_nightly)


from portal.identification import views  # noqa: E402, F401
