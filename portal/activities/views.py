"""Members follow their activities at /activities; staff verify at /verification and per case at
/cases/<id>/activities; staff keep the catalog at /catalog."""

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal import ratelimits
from portal.access import Access, access
from portal.activities import bp, labels, services, summary
from portal.activities.charts import progress_chart
from portal.activities.forms import (
    CatalogEntryForm,
    FromCatalogForm,
    ReturnForm,
    SubmitForm,
    WaiveForm,
)
from portal.activities.models import ActivityStatus
from portal.assessment import labels as assessment_labels
from portal.assessment.models import FactorCategory
from portal.auth.forms import ConfirmForm
from portal.cases.services import get_case_for, member_case_or_404
from portal.csv_export import csv_download
from portal.extensions import db
from portal.pagination import paginate
from portal.plan import labels as plan_labels
from portal.plan import services as plan
from portal.plan.models import ActivityKind
from portal.transactions import commit_keeping_loaded
from portal.uploads.services import UploadStorageError, file_response

ERRORS = {
    "not_allowed": _l("This activity cannot change that way in its present status."),
    "no_reflection": _l("Say what you learned and what you will change in your practice."),
    "no_comment": _l("Say what is missing."),
    "no_reason": _l("Give the reason for waiving."),
    "no_active_plan": _l("There is no active plan."),
    "not_lead": _l("Only the lead advisor can mark the plan complete."),
    "already_complete": _l("The plan is already marked complete."),
    "not_all_done": _l("Every required activity must be completed or waived first."),
    "retired": _l("This catalog activity is retired."),
}


def _labels() -> dict:
    return {
        "statuses": labels.STATUSES,
        "standings": labels.STANDINGS,
        "activity_kinds": plan_labels.ACTIVITY_KINDS,
        "categories": assessment_labels.CATEGORIES,
    }


# --- The member's side ------------------------------------------------------------------------


@bp.route("/activities")
@access(Access.MEMBER)
def member_view():
    case = member_case_or_404(current_user)
    services.record_page_view(case, "member")
    commit_keeping_loaded()
    current = services.overview(case)
    return render_template(
        "activities/member.html",
        case=case,
        overview=current,
        chart=progress_chart(current) if current else None,
        labels=_labels(),
    )


def _member_activity_page(case, activity, *, form=None, status=200):
    services.record_page_view(case, f"member {activity.key}")
    commit_keeping_loaded()
    status_now = services.status_of(case, activity.key)
    return render_template(
        "activities/member_activity.html",
        case=case,
        activity=activity,
        status=status_now,
        standing=services.standing(activity, status_now, services.local_today()),
        history=services.history_of(case, activity.key),
        submissions=services.submissions_of(case, activity.key),
        form=form or SubmitForm(formdata=None),
        confirm=ConfirmForm(),
        may_start=ActivityStatus.NOT_STARTED,
        may_submit=services.MEMBER_MAY_SUBMIT,
        labels=_labels(),
    ), status


@bp.route("/activities/<activity_key>")
@access(Access.MEMBER)
def member_activity(activity_key: str):
    case = member_case_or_404(current_user)
    _version, activity = services.active_activity_or_404(case, activity_key)
    return _member_activity_page(case, activity)


@bp.route("/activities/<activity_key>/start", methods=["POST"])
@access(Access.MEMBER)
def start(activity_key: str):
    case = member_case_or_404(current_user)
    _version, activity = services.active_activity_or_404(case, activity_key)
    if ConfirmForm().validate_on_submit():
        try:
            services.start_activity(case, activity, by=current_user)
        except services.ActivityError as error:
            db.session.rollback()
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(_("The activity is marked as started."), "success")
    return redirect(url_for("activities.member_activity", activity_key=activity.key))


def _within_upload_limit(form) -> bool:
    """The per-user limit on files sent; a refused form keeps what the member wrote."""
    if ratelimits.allow("upload", current_user):
        return True
    form.evidence.errors.append(
        _("You have sent many files today. Please try again tomorrow: your text is kept below.")
    )
    return False


@bp.route("/activities/<activity_key>/submit", methods=["POST"])
@access(Access.MEMBER)
def submit(activity_key: str):
    case = member_case_or_404(current_user)
    _version, activity = services.active_activity_or_404(case, activity_key)
    form = SubmitForm()
    if form.validate_on_submit() and _within_upload_limit(form):
        try:
            services.submit_evidence(
                case,
                activity,
                by=current_user,
                upload=form.evidence.upload,
                learned=form.learned.data,
                practice_change=form.practice_change.data,
            )
            db.session.commit()
        except services.ActivityError as error:
            db.session.rollback()
            form.form_errors.append(ERRORS[str(error)])
        except UploadStorageError:
            db.session.rollback()
            form.evidence.errors.append(
                _("Your file could not be saved, so nothing was sent. Please try again later.")
            )
        else:
            flash(
                _("Thank you. Your evidence is sent; the MSP team is notified to verify it."),
                "success",
            )
            return redirect(url_for("activities.member_activity", activity_key=activity.key))
    return _member_activity_page(case, activity, form=form, status=400)


@bp.route("/activities/evidence/<int:submission_id>")
@access(Access.AUTHENTICATED)
def evidence(submission_id: int):
    """The evidence file, for the member and staff on the case only (others: 404, audited)."""
    found = services.submission_for_or_404(current_user, submission_id)
    services.record_evidence_download(found)
    db.session.commit()
    return file_response(found.file)


def _summary_of(case):
    """The overview for a summary, or None (and a message) without an active plan."""
    current = services.overview(case)
    if current is None:
        flash(_("There is no summary yet: your activities start when your plan is active."), "info")
    return current


@bp.route("/activities/summary.csv")
@access(Access.MEMBER)
def summary_csv():
    case = member_case_or_404(current_user)
    services.record_page_view(case, "summary csv")
    commit_keeping_loaded()
    current = _summary_of(case)
    if current is None:
        return redirect(url_for("activities.member_view"))
    header, rows = summary.table(current)
    return csv_download("activities-summary.csv", header, rows)


@bp.route("/activities/summary.pdf")
@access(Access.MEMBER)
def summary_pdf():
    case = member_case_or_404(current_user)
    services.record_page_view(case, "summary pdf")
    commit_keeping_loaded()
    current = _summary_of(case)
    if current is None:
        return redirect(url_for("activities.member_view"))
    with force_locale(current_user.language or "en"):
        data = summary.pdf(current)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="activities-summary.pdf"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- Staff: the queue and a case's activities ---------------------------------------------------


@bp.route("/verification")
@access(Access.STAFF)
def queue():
    page = paginate(services.verification_queue_query(current_user), request.args.get("page"))
    return render_template(
        "activities/queue.html",
        page=page,
        titles=services.active_titles(page.items),
        labels=_labels(),
    )


@bp.route("/cases/<int:case_id>/activities")
@access(Access.STAFF)
def staff_view(case_id: int):
    case = get_case_for(current_user, case_id)
    services.record_page_view(case, "staff")
    commit_keeping_loaded()
    current = services.overview(case)
    return render_template(
        "activities/staff.html",
        case=case,
        overview=current,
        chart=progress_chart(current) if current else None,
        confirm=ConfirmForm(),
        labels=_labels(),
    )


def _staff_activity_page(case, activity, *, return_form=None, waive_form=None, status=200):
    services.record_page_view(case, f"staff {activity.key}")
    commit_keeping_loaded()
    current = services.status_of(case, activity.key)
    return render_template(
        "activities/staff_activity.html",
        case=case,
        activity=activity,
        status=current,
        history=services.history_of(case, activity.key),
        submissions=services.submissions_of(case, activity.key),
        return_form=return_form or ReturnForm(formdata=None),
        waive_form=waive_form or WaiveForm(formdata=None),
        confirm=ConfirmForm(),
        done=services.DONE,
        labels=_labels(),
    ), status


@bp.route("/cases/<int:case_id>/activities/<activity_key>")
@access(Access.STAFF)
def staff_activity(case_id: int, activity_key: str):
    case = get_case_for(current_user, case_id)
    _version, activity = services.active_activity_or_404(case, activity_key)
    return _staff_activity_page(case, activity)


def _back_to_activity(case, activity):
    return redirect(
        url_for("activities.staff_activity", case_id=case.id, activity_key=activity.key)
    )


@bp.route("/cases/<int:case_id>/activities/<activity_key>/verify", methods=["POST"])
@access(Access.STAFF)
def verify(case_id: int, activity_key: str):
    case = get_case_for(current_user, case_id)
    _version, activity = services.active_activity_or_404(case, activity_key)
    if ConfirmForm().validate_on_submit():
        try:
            services.verify_activity(case, activity, by=current_user)
        except services.ActivityError as error:
            db.session.rollback()
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(_("The activity is verified as completed; the member is notified."), "success")
    return _back_to_activity(case, activity)


@bp.route("/cases/<int:case_id>/activities/<activity_key>/return", methods=["POST"])
@access(Access.STAFF)
def return_to_member(case_id: int, activity_key: str):
    case = get_case_for(current_user, case_id)
    _version, activity = services.active_activity_or_404(case, activity_key)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            services.return_activity(case, activity, by=current_user, comment=form.comment.data)
        except services.ActivityError as error:
            db.session.rollback()
            form.comment.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("The activity is returned to the member, who is notified."), "success")
            return _back_to_activity(case, activity)
    return _staff_activity_page(case, activity, return_form=form, status=400)


@bp.route("/cases/<int:case_id>/activities/<activity_key>/waive", methods=["POST"])
@access(Access.STAFF)
def waive(case_id: int, activity_key: str):
    case = get_case_for(current_user, case_id)
    _version, activity = services.active_activity_or_404(case, activity_key)
    form = WaiveForm()
    if form.validate_on_submit():
        try:
            services.waive_activity(case, activity, by=current_user, reason=form.reason.data)
        except services.ActivityError as error:
            db.session.rollback()
            form.reason.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("The activity is waived; the member is notified."), "success")
            return _back_to_activity(case, activity)
    return _staff_activity_page(case, activity, waive_form=form, status=400)


@bp.route("/cases/<int:case_id>/activities/complete", methods=["POST"])
@access(Access.STAFF)
def complete_plan(case_id: int):
    case = get_case_for(current_user, case_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.complete_plan(case, by=current_user)
        except services.ActivityError as error:
            db.session.rollback()
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(_("The plan is marked complete; the member is notified."), "success")
    return redirect(url_for("activities.staff_view", case_id=case.id))


# --- Staff: adding a catalog activity to a plan draft ------------------------------------------


def from_catalog_form(draft, **kwargs) -> FromCatalogForm:
    form = FromCatalogForm(**kwargs)
    form.entry_id.choices = [
        SelectChoice(e.id, f"{e.title_en} / {e.title_fr}")
        for e in services.catalog_entries(include_retired=False)
    ]
    form.goal_id.choices = [SelectChoice(g.id, g.title) for g in draft.goals]
    return form


@bp.route("/cases/<int:case_id>/plan/draft/from-catalog", methods=["GET", "POST"])
@access(Access.STAFF)
def add_from_catalog(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = plan.draft_of(case)
    if draft is None:
        abort(404)
    form = from_catalog_form(draft)
    if form.validate_on_submit():
        goal = plan.draft_goal_or_404(draft, form.goal_id.data)
        entry = services.catalog_entry_or_404(form.entry_id.data)
        try:
            services.add_from_catalog(
                draft,
                goal,
                entry,
                language=case.member.language,
                due_date=form.due_date.data,
                required=bool(form.required.data),
            )
        except services.ActivityError as error:
            db.session.rollback()
            form.entry_id.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("The catalog activity is copied into the draft."), "success")
            return redirect(url_for("plan.staff_view", case_id=case.id) + "#goals")
    return render_template(
        "activities/from_catalog.html", case=case, form=form
    ), 400 if request.method == "POST" else 200


# --- Staff and admins: the catalog ---------------------------------------------------------------


def _entry_details(form) -> services.EntryDetails:
    return services.EntryDetails(
        title_en=form.title_en.data,
        title_fr=form.title_fr.data,
        kind=ActivityKind(form.kind.data),
        provider=form.provider.data or "",
        url=form.url.data or "",
        estimated_hours=form.estimated_hours.data,
        credits=form.credits.data,
        categories=[FactorCategory(v) for v in form.categories.data or []],
    )


@bp.route("/catalog")
@access(Access.STAFF)
def catalog():
    return render_template(
        "activities/catalog.html",
        entries=services.catalog_entries(),
        confirm=ConfirmForm(),
        labels=_labels(),
    )


@bp.route("/catalog/new", methods=["GET", "POST"])
@access(Access.STAFF)
def new_entry():
    form = CatalogEntryForm()
    if form.validate_on_submit():
        services.save_entry(None, _entry_details(form), by=current_user)
        db.session.commit()
        flash(_("The activity is added to the catalog."), "success")
        return redirect(url_for("activities.catalog"))
    return render_template("activities/entry.html", form=form, entry=None), (
        400 if form.errors else 200
    )


@bp.route("/catalog/<int:entry_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_entry(entry_id: int):
    entry = services.catalog_entry_or_404(entry_id)
    form = CatalogEntryForm(obj=entry)
    if request.method == "GET":
        form.kind.data = entry.kind.value
        form.categories.data = [c.value for c in entry.categories]
    if form.validate_on_submit():
        services.save_entry(entry, _entry_details(form), by=current_user)
        db.session.commit()
        flash(
            _("The catalog activity is saved. Plans that already include it are unchanged."),
            "success",
        )
        return redirect(url_for("activities.catalog"))
    return render_template(
        "activities/entry.html", form=form, entry=entry, confirm=ConfirmForm()
    ), (400 if form.errors else 200)


@bp.route("/catalog/<int:entry_id>/retire", methods=["POST"])
@access(Access.STAFF)
def retire_entry(entry_id: int):
    entry = services.catalog_entry_or_404(entry_id)
    if ConfirmForm().validate_on_submit():
        services.set_entry_active(entry, not entry.active, by=current_user)
        db.session.commit()
        flash(
            _("The activity is back in the catalog.")
            if entry.active
            else _("The activity is retired: it can no longer be added to plans."),
            "success",
        )
    return redirect(url_for("activities.catalog"))
