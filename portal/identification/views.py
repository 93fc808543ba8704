"""Identification pages (staff and admins): the screening queue, a register member's profile with
the advisor's decision, the register's import, and screening on demand."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal import clock
from portal.access import Access, access
from portal.audit.services import record
from portal.auth.forms import ConfirmForm
from portal.auth.services import DuplicateEmail
from portal.cases.services import DuplicateMemberNumber, staff_choices, types_of_work
from portal.extensions import db
from portal.identification import bp, decisions, explain
from portal.identification.forms import ImportForm, NotNowForm, QueueForm, ReferForm, WatchForm
from portal.identification.funnel import funnel
from portal.identification.importer import error_message, import_register
from portal.identification.models import RegisterImport, ScreeningResult
from portal.identification.profile import group_points, profile_of, register_member_or_404
from portal.identification.queue import QueueFilters, queue_query, queue_rank_cutoff
from portal.identification.screening import latest_run, screen
from portal.pagination import paginate
from portal.transactions import commit_keeping_loaded


def _type_choices(blank: str) -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(str(t.id), t.label) for t in types_of_work()]


@bp.route("/")
@access(Access.STAFF)
def queue():
    run = latest_run()
    form = QueueForm(formdata=request.args)
    form.type_of_work.choices = _type_choices(_("All"))
    filters = QueueFilters()
    if form.validate():
        filters = QueueFilters(
            type_of_work_id=int(form.type_of_work.data) if form.type_of_work.data else None,
            province=form.province.data or None,
            flag=form.flag.data or None,
        )
    page = None
    if run is not None:
        today = clock.now().date()
        cutoff = queue_rank_cutoff(run, today) or 0
        query = queue_query(run, filters, today).where(ScreeningResult.rank <= cutoff)
        page = paginate(query, request.args.get("page"))
    return render_template(
        "identification/queue.html",
        run=run,
        form=form,
        page=page,
        filter_args={k: v for k, v in request.args.items() if k != "page" and v},
        screen_form=ConfirmForm(),
    )


@bp.route("/screen", methods=["POST"])
@access(Access.STAFF)
def screen_now():
    form = ConfirmForm()
    if form.validate_on_submit():
        run = screen(clock.now().date(), by=current_user, trigger="manual")
        db.session.commit()
        flash(
            _(
                "The register was screened: %(flagged)d of %(members)d members flagged.",
                flagged=run.flagged_count,
                members=run.member_count,
            ),
            "success",
        )
    return redirect(url_for("identification.queue"))


# --- A register member --------------------------------------------------------------------------


def _profile_page(member_id: int, status: int = 200, **forms):
    member = register_member_or_404(member_id)
    run = latest_run()
    if run is None:
        flash(_("The register has not been screened yet."), "info")
        return redirect(url_for("identification.queue"))
    profile = profile_of(member, run)
    group = run.peer_groups.get(str(member.type_of_work_id), {})
    refer_form = forms.get("refer_form") or ReferForm(
        formdata=None,
        prefix="refer",
        reason=explain.referral_reason(profile),
        lead_advisor_id=current_user.id,
    )
    refer_form.lead_advisor_id.choices = [SelectChoice(a.id, a.name) for a in staff_choices()]
    record("register_member.viewed", object_type="register_member", object_id=member.id)
    commit_keeping_loaded()
    return (
        render_template(
            "identification/member.html",
            profile=profile,
            group=group,
            flags=explain.flags(profile),
            chart=funnel(
                (profile.expected, profile.ratio),
                [(e, r) for e, r, m in group_points(run, member.type_of_work_id) if m != member.id],
                group.get("expected_max", 0.0),
            ),
            refer_form=refer_form,
            watch_form=forms.get("watch_form") or WatchForm(formdata=None, prefix="watch"),
            not_now_form=forms.get("not_now_form") or NotNowForm(formdata=None, prefix="not_now"),
        ),
        status,
    )


@bp.route("/members/<int:member_id>")
@access(Access.STAFF)
def member(member_id: int):
    return _profile_page(member_id)


def _decided(message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("identification.queue"))


@bp.route("/members/<int:member_id>/refer", methods=["POST"])
@access(Access.STAFF)
def refer(member_id: int):
    form = ReferForm(prefix="refer")
    advisors = staff_choices()
    form.lead_advisor_id.choices = [SelectChoice(a.id, a.name) for a in advisors]
    if form.validate_on_submit():
        profile = profile_of(register_member_or_404(member_id), latest_run() or abort(404))
        lead = next(a for a in advisors if a.id == form.lead_advisor_id.data)
        try:
            case = decisions.refer(profile, by=current_user, lead=lead, reason=form.reason.data)
        except DuplicateEmail:
            db.session.rollback()
            form.reason.errors.append(_("An account already uses this member's email address."))
        except (DuplicateMemberNumber, decisions.DecisionError):
            db.session.rollback()
            form.reason.errors.append(_("This member is already in the program."))
        else:
            db.session.commit()
            flash(_("Referral recorded. An invitation was sent to the member."), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return _profile_page(member_id, 400, refer_form=form)


@bp.route("/members/<int:member_id>/watch", methods=["POST"])
@access(Access.STAFF)
def watch(member_id: int):
    form = WatchForm(prefix="watch")
    if form.validate_on_submit():
        profile = profile_of(register_member_or_404(member_id), latest_run() or abort(404))
        decisions.watch(
            profile, by=current_user, reason=form.reason.data, review_on=form.review_on.data
        )
        return _decided(_("Watched: the member comes back to the queue on the date you chose."))
    return _profile_page(member_id, 400, watch_form=form)


@bp.route("/members/<int:member_id>/not-now", methods=["POST"])
@access(Access.STAFF)
def not_now(member_id: int):
    form = NotNowForm(prefix="not_now")
    if form.validate_on_submit():
        profile = profile_of(register_member_or_404(member_id), latest_run() or abort(404))
        decisions.not_now(profile, by=current_user, reason=form.reason.data)
        return _decided(_("Recorded: the member comes back to the queue only with a new matter."))
    return _profile_page(member_id, 400, not_now_form=form)


# --- The register's import ----------------------------------------------------------------------


def _recent_imports() -> list[RegisterImport]:
    return list(
        db.session.scalars(select(RegisterImport).order_by(RegisterImport.id.desc()).limit(10))
    )


@bp.route("/import", methods=["GET", "POST"])
@access(Access.STAFF)
def import_files():
    form = ImportForm()
    if form.validate_on_submit():
        members, matters = form.members.data, form.matters.data
        result = import_register(
            members=members.stream if members else None,
            matters=matters.stream if matters else None,
            members_name=members.filename if members else None,
            matters_name=matters.filename if matters else None,
            by=current_user,
            source="web",
            today=clock.now().date(),
        )
        if result.error_count == 0:
            screen(clock.now().date(), by=current_user, trigger="import")
        db.session.commit()
        return redirect(url_for("identification.import_result", import_id=result.id))
    status = 400 if form.errors else 200
    return render_template(
        "identification/import.html", form=form, imports=_recent_imports()
    ), status


@bp.route("/imports/<int:import_id>")
@access(Access.STAFF)
def import_result(import_id: int):
    result = db.session.get(RegisterImport, import_id) or abort(404)
    return render_template(
        "identification/import_result.html",
        result=result,
        errors=[error_message(error) for error in result.errors],
    )
