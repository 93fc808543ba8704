from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.access import Access, access
from portal.audit.services import record
from portal.auth.forms import ConfirmForm
from portal.auth.services import DuplicateEmail
from portal.cases import bp, services
from portal.cases.forms import (
    BreakGlassForm,
    CaseloadForm,
    CloseCaseForm,
    FindCaseForm,
    ReferralForm,
    ReopenCaseForm,
    TimelineForm,
)
from portal.extensions import db
from portal.pagination import paginate
from portal.transactions import commit_keeping_loaded
from portal.urls import safe_next

# The caseload, the timeline and closing reach into features that import portal.cases
# themselves: they are imported where used, once every package is loaded.

ERRORS = {
    "not_lead": _l("Only the lead advisor or an administrator can do this."),
    "no_summary": _l("Write the closing summary."),
    "already_closed": _l("This case is already closed."),
    "no_reason": _l("Say why the case is reopened."),
    "not_closed": _l("This case is not closed."),
    "reason_too_short": _l(
        "Say why in at least %(min)d characters.", min=services.BREAK_GLASS_REASON_MIN
    ),
}

# Refusals with nothing to correct in the form (the case changed under a page left open, a second
# click, or the form is not theirs to send): said in a message on the case page.
NOT_IN_FORM = ("already_closed", "not_closed", "not_lead")


# --- The caseload -------------------------------------------------------------------------------


@bp.route("/cases/")
@access(Access.STAFF)
def index():
    from portal.cases import caseload

    form = CaseloadForm(formdata=request.args)
    if current_user.is_admin:
        form.scope.choices = [SelectChoice("", _("All cases"))] + form.scope.choices[1:]
    filters = (
        caseload.Filters(
            stage=form.stage.data or "",
            scope=form.scope.data or "",
            flagged=form.flagged.data,
            attention=form.attention.data,
            sort=form.sort.data or "last_contact",
        )
        if form.validate()
        else caseload.Filters()
    )
    now = clock.now()
    page = paginate(caseload.caseload_query(current_user, filters, now), request.args.get("page"))
    return render_template(
        "cases/index.html",
        page=page,
        form=form,
        filters=filters,
        weeks={case.id: caseload.no_contact_weeks(case, now) for case in page.items},
    )


@bp.route("/cases/refer", methods=["GET", "POST"])
@access(Access.STAFF)
def refer():
    form = ReferralForm()
    advisors = services.staff_choices()
    form.lead_advisor_id.choices = [SelectChoice(a.id, a.name) for a in advisors]
    types = {t.code: t for t in services.types_of_work()}
    form.type_of_work.choices = [SelectChoice("", "—")] + [
        SelectChoice(code, t.label) for code, t in types.items()
    ]
    if request.method == "GET":
        form.lead_advisor_id.data = current_user.id
    if form.validate_on_submit():
        lead = next((a for a in advisors if a.id == form.lead_advisor_id.data), None)
        referral = services.Referral(
            name=form.name.data,
            email=form.email.data,
            member_number=form.member_number.data,
            specialty=types[form.type_of_work.data].name_en,
            type_of_work=types[form.type_of_work.data],
            province=form.province.data,
            reason=form.reason.data,
            language=form.language.data,
        )
        try:
            case = services.refer_member(referral, referred_by=current_user, lead_advisor=lead)
        except DuplicateEmail:
            db.session.rollback()
            form.email.errors.append(_("An account already uses this email address."))
        except services.DuplicateMemberNumber:
            db.session.rollback()
            form.member_number.errors.append(_("A member with this number is already referred."))
        else:
            db.session.commit()
            flash(
                _(
                    "Referral recorded. An invitation was sent to %(email)s.",
                    email=case.member.email,
                ),
                "success",
            )
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/refer.html", form=form)


# --- A case -------------------------------------------------------------------------------------


def _case_page(case, *, close_form=None, reopen_form=None, status=200):
    from portal.cases.caseload import no_contact_weeks

    services.record_case_view(case, "case page")
    commit_keeping_loaded()
    return render_template(
        "cases/show.html",
        case=case,
        profile=services.profile_of(case.member),
        form=ConfirmForm(),
        may_close=services.may_close(current_user, case),
        close_form=close_form or CloseCaseForm(formdata=None),
        reopen_form=reopen_form or ReopenCaseForm(formdata=None),
        no_contact_weeks=no_contact_weeks(case, clock.now()),
    ), status


@bp.route("/cases/<int:case_id>")
@access(Access.STAFF)
def show(case_id: int):
    return _case_page(services.get_case_for(current_user, case_id))


@bp.route("/cases/<int:case_id>/resend-invitation", methods=["POST"])
@access(Access.STAFF)
def resend_invitation(case_id: int):
    case = services.get_case_for(current_user, case_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if services.resend_invitation(case, by=current_user):
            flash(_("A new invitation was sent. The previous link no longer works."), "success")
        else:
            flash(_("This member has already set a password."), "error")
        db.session.commit()
    return redirect(url_for("cases.show", case_id=case.id))


@bp.route("/cases/<int:case_id>/timeline")
@access(Access.STAFF)
def timeline_view(case_id: int):
    from portal.activities.labels import STATUSES
    from portal.cases import timeline

    case = services.get_case_for(current_user, case_id)
    form = TimelineForm(formdata=request.args)
    chosen = set(form.kind.data or []) if form.validate() else set()
    kinds = chosen or set(timeline.KINDS)
    before = timeline.parse_before(request.args.get("before"))
    services.record_case_view(case, "timeline")
    commit_keeping_loaded()
    return render_template(
        "cases/timeline.html",
        case=case,
        form=form,
        story=timeline.timeline(case, kinds, before),
        before=before,
        kinds=sorted(chosen),
        statuses=STATUSES,
    )


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@access(Access.STAFF)
def close(case_id: int):
    from portal.cases.closing import close_case

    case = services.get_case_for(current_user, case_id)
    form = CloseCaseForm()
    if form.validate_on_submit():
        try:
            close_case(case, by=current_user, summary=form.closing_summary.data)
        except services.CaseError as error:
            db.session.rollback()
            if str(error) in NOT_IN_FORM:
                flash(ERRORS[str(error)], "error")
                return redirect(url_for("cases.show", case_id=case.id))
            form.closing_summary.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("The case is closed. The member can read the closing summary."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return _case_page(case, close_form=form, status=400)


@bp.route("/cases/<int:case_id>/reopen", methods=["POST"])
@access(Access.STAFF)
def reopen(case_id: int):
    from portal.cases.closing import reopen_case

    case = services.get_case_for(current_user, case_id)
    form = ReopenCaseForm()
    if form.validate_on_submit():
        try:
            reopen_case(case, by=current_user, reason=form.reason.data)
        except services.CaseError as error:
            db.session.rollback()
            if str(error) in NOT_IN_FORM:
                flash(ERRORS[str(error)], "error")
                return redirect(url_for("cases.show", case_id=case.id))
            form.reason.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("The case is reopened, back to ongoing support."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return _case_page(case, reopen_form=form, status=400)


@bp.app_errorhandler(services.CaseClosed)
def case_closed(error):
    """A member's write on a closed case (a page left open, a second click): nothing is saved."""
    db.session.rollback()
    flash(
        _("Your case is closed, so nothing was changed. You can still read all your records."),
        "error",
    )
    return redirect(url_for("home.dashboard"), 303)


# --- Finding a case and break-glass access --------------------------------------------------------


@bp.route("/cases/find")
@access(Access.STAFF)
def find():
    form = FindCaseForm(formdata=request.args)
    page = numbers = visible = None
    if "q" in request.args and form.validate():
        query = form.q.data.strip()
        page = paginate(services.find_cases_query(query), request.args.get("page"))
        numbers = services.member_numbers(page.items)
        visible = services.visible_ids(current_user, page.items)
        record("case.searched", detail=query)
        db.session.commit()
    return render_template(
        "cases/find.html", form=form, page=page, numbers=numbers, visible=visible
    )


def _break_glass_page(case, form, status):
    return render_template(
        "cases/break_glass.html",
        case=case,
        member_number=services.member_numbers([case]).get(case.member_id),
        form=form,
        hours=current_app.config["BREAK_GLASS_HOURS"],
    ), status


@bp.app_errorhandler(services.BreakGlassRequired)
def break_glass_required(error):
    """Staff following a link to a case they are not on get the reason form, not the case."""
    case = services.case_for_break_glass_or_404(error.case_id)
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    form = BreakGlassForm(formdata=None, next=target)
    return _break_glass_page(case, form, 403)


@bp.route("/cases/<int:case_id>/break-glass", methods=["GET", "POST"])
@access(Access.STAFF)
def break_glass(case_id: int):
    case = services.case_for_break_glass_or_404(case_id)
    form = BreakGlassForm()
    target = safe_next(form.next.data) or url_for("cases.show", case_id=case.id)
    if services.can_see(current_user, case):
        return redirect(target)
    if form.validate_on_submit():
        try:
            services.grant_break_glass(case, staff=current_user, reason=form.reason.data)
        except services.CaseError as error:
            db.session.rollback()
            form.reason.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(
                _(
                    "You have access to this case for %(hours)d hours. Your reason is recorded.",
                    hours=current_app.config["BREAK_GLASS_HOURS"],
                ),
                "success",
            )
            return redirect(target)
    return _break_glass_page(case, form, 400 if request.method == "POST" else 200)


@bp.route("/cases/break-glass")
@access(Access.ADMIN)
def break_glass_log():
    page = paginate(services.break_glass_query(), request.args.get("page"))
    # The reasons staff gave are about members' files: reading them is audited like the trail.
    record("break_glass.log_viewed", detail=f"page {page.page}")
    commit_keeping_loaded()
    return render_template("cases/break_glass_log.html", page=page, now=clock.now())


# --- The member's view log ----------------------------------------------------------------------


@bp.route("/my-file/views")
@access(Access.MEMBER)
def view_log():
    case = services.member_case_or_404(current_user)
    page = paginate(services.view_log_query(case), request.args.get("page"))
    return render_template("cases/view_log.html", page=page, names=services.actor_names(page.items))
