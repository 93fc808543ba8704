from flask import redirect, render_template, url_for
from flask_login import current_user

from portal.access import Access, access
from portal.cases.services import current_case_of
from portal.checkins.labels import MODES
from portal.checkins.services import upcoming_of
from portal.home import bp
from portal.home.steps import next_steps, program_steps
from portal.zones import zone_of


@bp.route("/")
@access(Access.AUTHENTICATED)
def index():
    """Everyone's landing page: members see their program, staff their cases."""
    if current_user.is_member:
        return redirect(url_for("home.dashboard"))
    return redirect(url_for("cases.index"))


@bp.route("/dashboard")
@access(Access.MEMBER)
def dashboard():
    case = current_case_of(current_user)
    return render_template(
        "home/dashboard.html",
        case=case,
        steps=program_steps(case),
        next_steps=next_steps(case),
        check_ins=upcoming_of(case) if case else [],
        viewer_zone=zone_of(current_user),
        check_in_modes=MODES,
    )
