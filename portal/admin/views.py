from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.access import Access, access
from portal.admin import bp, services
from portal.admin.forms import (
    AuditFilterForm,
    BulkReassignForm,
    CaseFilterForm,
    InviteStaffForm,
    OutboxFilterForm,
    ReassignCaseForm,
    RoleForm,
)
from portal.audit.models import Outcome
from portal.audit.services import record
from portal.auth.forms import ConfirmForm
from portal.auth.models import Role, User
from portal.auth.services import DuplicateEmail, set_active
from portal.cases.services import get_case_for
from portal.csv_export import csv_download
from portal.extensions import db
from portal.outbox.models import EmailStatus, OutboxEmail
from portal.pagination import paginate
from portal.transactions import commit_keeping_loaded
from portal.zones import zone_of

# --- Accounts ------------------------------------------------------------------------------------


@bp.route("/users")
@access(Access.ADMIN)
def users():
    query = select(User).order_by(User.role, User.name, User.id)
    page = paginate(query, request.args.get("page"))
    return render_template("admin/users.html", page=page, form=ConfirmForm(), role_form=RoleForm())


@bp.route("/users/invite", methods=["GET", "POST"])
@access(Access.ADMIN)
def invite_staff():
    form = InviteStaffForm()
    if form.validate_on_submit():
        try:
            user = services.invite_staff(
                name=form.name.data,
                email=form.email.data,
                role=Role(form.role.data),
                language=form.language.data,
                by=current_user,
            )
        except DuplicateEmail:
            db.session.rollback()
            form.email.errors.append(_("An account already uses this email address."))
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s was invited. The invitation went to %(email)s.",
                    name=user.name,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@access(Access.ADMIN)
def change_role(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            changed = services.change_role(user, Role(form.role.data), by=current_user)
        except services.AdminError as error:
            db.session.rollback()
            if str(error) == "own_role":
                flash(_("You cannot change your own role."), "error")
            else:
                flash(_("Only staff and administrators change role."), "error")
        else:
            db.session.commit()
            if changed:
                flash(_("%(name)s's role was changed.", name=user.name), "success")
    else:
        flash(_("Choose staff or administrator."), "error")
    return redirect(url_for("admin.users", page=request.args.get("page")))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@access(Access.ADMIN)
def set_user_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = ConfirmForm()
    active = request.form.get("active") == "1"
    if form.validate_on_submit():
        if user.id == current_user.id and not active:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            set_active(user, active)
            db.session.commit()
            if active:
                flash(_("%(name)s can sign in again.", name=user.name), "success")
            else:
                flash(
                    _("%(name)s is deactivated and signed out everywhere.", name=user.name),
                    "success",
                )
    return redirect(url_for("admin.users", page=request.args.get("page")))


# --- Who works on which case ---------------------------------------------------------------------


def _staff_label(person: User) -> str:
    return person.name if person.active else _("%(name)s (deactivated)", name=person.name)


@bp.route("/cases")
@access(Access.ADMIN)
def cases():
    staff = services.staff_members()
    filters = CaseFilterForm(formdata=request.args)
    filters.lead.choices = [
        SelectChoice("", _("Everyone")),
        SelectChoice("deactivated", _("Deactivated staff")),
    ] + [SelectChoice(str(person.id), _staff_label(person)) for person in staff]
    if not filters.validate():
        filters.lead.data = ""
    lead = filters.lead.data or ""
    query = services.cases_query(
        lead_id=int(lead) if lead.isdigit() else None, deactivated_lead=lead == "deactivated"
    )
    page = paginate(query, request.args.get("page"))
    bulk = BulkReassignForm()
    _bulk_choices(bulk, staff)
    if lead.isdigit():
        bulk.from_staff_id.data = int(lead)
    return render_template(
        "admin/cases.html",
        page=page,
        filters=filters,
        lead=lead or None,
        bulk=bulk,
        deactivated_leads=services.deactivated_leads(),
        staff_label=_staff_label,
    )


def _bulk_choices(form: BulkReassignForm, staff: list[User]) -> None:
    form.from_staff_id.choices = [SelectChoice(p.id, _staff_label(p)) for p in staff]
    form.to_staff_id.choices = [SelectChoice(p.id, p.name) for p in staff if p.active]


@bp.route("/cases/reassign-all", methods=["POST"])
@access(Access.ADMIN)
def reassign_all():
    staff = services.staff_members()
    form = BulkReassignForm()
    _bulk_choices(form, staff)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("admin.cases"))
    by_id = {person.id: person for person in staff}
    source, target = by_id[form.from_staff_id.data], by_id[form.to_staff_id.data]
    moved = services.reassign_all_cases(source, target, by=current_user)
    db.session.commit()
    flash(
        _(
            "%(count)d cases moved from %(source)s to %(target)s.",
            count=moved,
            source=source.name,
            target=target.name,
        ),
        "success",
    )
    return redirect(url_for("admin.cases", lead=target.id))


@bp.route("/cases/<int:case_id>/assignment", methods=["GET", "POST"])
@access(Access.ADMIN)
def case_assignment(case_id: int):
    case = get_case_for(current_user, case_id)
    team = [member.staff for member in case.team]
    candidates = {p.id: p for p in services.staff_members() if p.active}
    candidates.update({person.id: person for person in team})
    form = ReassignCaseForm()
    form.lead_advisor_id.choices = [
        SelectChoice(p.id, p.name) for p in candidates.values() if p.active
    ]
    form.team_ids.choices = [SelectChoice(p.id, _staff_label(p)) for p in candidates.values()]
    if request.method == "GET":
        form.lead_advisor_id.data = case.lead_advisor_id
        form.team_ids.data = [person.id for person in team]
        form.expected_lead_id.data = case.lead_advisor_id
    if form.validate_on_submit():
        expected = form.expected_lead_id.data
        changed = services.reassign_case(
            case,
            lead=candidates[form.lead_advisor_id.data],
            team=[candidates[staff_id] for staff_id in form.team_ids.data or []],
            expected_lead_id=int(expected) if (expected or "").isdigit() else case.lead_advisor_id,
            by=current_user,
        )
        if changed:
            db.session.commit()
            flash(_("The case's lead advisor and team are saved."), "success")
        else:
            db.session.rollback()
            flash(
                _("Someone changed this case's lead advisor meanwhile. Here is the case now."),
                "error",
            )
        return redirect(url_for("admin.case_assignment", case_id=case_id))
    return render_template("admin/case_assignment.html", case=case, form=form)


# --- The audit trail -----------------------------------------------------------------------------


def _audit_filters(form: AuditFilterForm) -> services.AuditFilters:
    start, end = form.bounds(zone_of(current_user))
    return services.AuditFilters(
        actor=form.actor.data or None,
        action=form.action.data or None,
        case_id=form.case_id.data,
        outcome=Outcome(form.outcome.data) if form.outcome.data else None,
        start=start,
        end=end,
    )


def _filter_args() -> dict:
    names = ("actor", "action", "case_id", "outcome", "date_from", "date_to")
    return {name: request.args[name] for name in names if request.args.get(name)}


@bp.route("/audit")
@access(Access.ADMIN)
def audit():
    form = AuditFilterForm(formdata=request.args)
    page = None
    if form.validate():
        filters = _audit_filters(form)
        record("audit.viewed", detail=filters.describe())
        # Before reading (a commit would expire the events read), keeping what is loaded (the
        # signed-in admin would otherwise be read again).
        commit_keeping_loaded()
        page = services.audit_page(
            filters,
            older_than=request.args.get("older_than"),
            newer_than=request.args.get("newer_than"),
        )
    return render_template("admin/audit.html", form=form, page=page, filter_args=_filter_args())


@bp.route("/audit.csv")
@access(Access.ADMIN)
def audit_csv():
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        flash(_("Correct the filters before exporting."), "error")
        return redirect(url_for("admin.audit", **_filter_args()))
    filters = _audit_filters(form)
    record("audit.exported", detail=filters.describe())
    db.session.commit()
    rows = services.audit_csv_rows(filters)
    filename = f"audit-trail-{clock.now():%Y%m%d-%H%M%S}.csv"
    return csv_download(filename, services.AUDIT_CSV_HEADER, rows)


# --- The outbox ----------------------------------------------------------------------------------


@bp.route("/outbox")
@access(Access.ADMIN)
def outbox():
    form = OutboxFilterForm(formdata=request.args)
    if not form.validate():
        form.status.data = ""
    status = EmailStatus(form.status.data) if form.status.data else None
    record("outbox.viewed", detail=status.value if status else "all")
    db.session.commit()  # before reading: a commit would expire the emails read
    page = paginate(services.outbox_query(status), request.args.get("page"))
    return render_template(
        "admin/outbox.html",
        form=form,
        page=page,
        status=form.status.data or None,
        retry_form=ConfirmForm(),
        can_retry=services.can_retry,
    )


@bp.route("/outbox/<int:email_id>/retry", methods=["POST"])
@access(Access.ADMIN)
def retry_email(email_id: int):
    if db.session.get(OutboxEmail, email_id) is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        if services.retry_email(email_id, by=current_user):
            db.session.commit()
            flash(_("The email is back in the queue and will be sent shortly."), "success")
        else:
            flash(
                _(
                    "This email was not retried: it is no longer failed, or has no content "
                    "to send again."
                ),
                "error",
            )
    return redirect(url_for("admin.outbox", status=request.args.get("status")))
