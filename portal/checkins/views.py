"""Check-in pages: the member's at /check-ins, staff's at /cases/<id>/check-ins.

Thin views: load with the access check → form → service → commit → redirect or render.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import clock
from portal.access import Access, access
from portal.auth.forms import ConfirmForm
from portal.cases.services import get_case_for, member_case_or_404
from portal.checkins import bp, labels, services
from portal.checkins.forms import (
    OutcomeForm,
    RescheduleForm,
    RescheduleRequestForm,
    ScheduleForm,
    scheduling_zone_choices,
)
from portal.checkins.models import CheckInMode, CheckInStatus
from portal.checkins.services import CheckInError
from portal.extensions import db
from portal.transactions import commit_keeping_loaded
from portal.zones import zone_label, zone_of

ERRORS = {
    "past": _l("Choose a date and time in the future."),
    "too_far": _l("Choose a date within the next two years."),
    "no_such_time": _l(
        "This time does not exist in that time zone: the clocks skip it when they change. "
        "Choose another time."
    ),
    "stale": _l(
        "This check-in was changed meanwhile, so nothing was changed. Here it is as it is now: "
        "please check and try again."
    ),
    "closed": _l("This check-in is no longer scheduled, so it cannot change that way."),
    "not_yet": _l("The outcome can be recorded once the time of the check-in has come."),
    "already_recorded": _l("The outcome of this check-in is already recorded; it is not changed."),
    "open_request": _l(
        "You have already asked to reschedule this check-in; the MSP team will answer."
    ),
    "no_open_request": _l("There is no open request to answer."),
    "case_closed": _l("The case is closed: reopen it to schedule a check-in."),
    "duplicate": _l("This check-in is already scheduled at that time (sent twice?)."),
}
# Problems with the date and time typed, shown beside the date.
WHEN_ERRORS = {"past", "too_far", "no_such_time"}


def _page_values() -> dict:
    return {"modes": labels.MODES, "statuses": labels.STATUSES, "zone_label": zone_label}


def _split(check_ins) -> dict:
    """Upcoming (soonest first), awaiting their outcome, and past (latest first)."""
    now = clock.now()
    scheduled = [c for c in check_ins if c.status is CheckInStatus.SCHEDULED]
    return {
        "upcoming": [c for c in scheduled if c.scheduled_at > now],
        "awaiting": [c for c in scheduled if c.scheduled_at <= now],
        "past": [c for c in reversed(check_ins) if c.status is not CheckInStatus.SCHEDULED],
    }


def _slot(form):
    return services.slot_from_local(form.day.data, form.at.data, form.time_zone.data)


# --- The member's side ------------------------------------------------------------------------


@bp.route("/check-ins")
@access(Access.MEMBER)
def member_list():
    case = member_case_or_404(current_user)
    services.record_view(case, "member")
    commit_keeping_loaded()
    return render_template(
        "checkins/member.html",
        case=case,
        viewer_zone=zone_of(current_user),
        **_split(services.check_ins_of(case)),
        **_page_values(),
    )


@bp.route("/check-ins/<int:check_in_id>/reschedule", methods=["GET", "POST"])
@access(Access.MEMBER)
def request_reschedule(check_in_id: int):
    case = member_case_or_404(current_user)
    check_in = services.check_in_of_or_404(case, check_in_id)
    form = RescheduleRequestForm()
    if form.validate_on_submit():
        try:
            services.request_reschedule(
                check_in,
                member=current_user,
                reason=form.reason.data,
                preferred_times=form.preferred_times.data,
            )
        except CheckInError as error:
            db.session.rollback()
            form.form_errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("Your request is sent. The MSP team will answer in the portal."), "success")
            return redirect(url_for("checkins.member_list") + f"#check-in-{check_in.id}")
    services.record_view(case, "member reschedule request", check_in)
    commit_keeping_loaded()
    return render_template(
        "checkins/request.html",
        check_in=check_in,
        form=form,
        now=clock.now(),
        viewer_zone=zone_of(current_user),
        **_page_values(),
    ), 400 if form.is_submitted() else 200


# --- Staff: a case's check-ins and scheduling ---------------------------------------------------


def _schedule_form(case, proposal=None) -> ScheduleForm:
    own = zone_of(current_user)
    if proposal is None:
        form = ScheduleForm(time_zone=own)
    else:
        form = ScheduleForm(
            day=proposal.day,
            at=proposal.at,
            time_zone=proposal.time_zone,
            mode=proposal.mode.value,
            duration_minutes=proposal.duration_minutes,
            cadence_weeks=proposal.cadence_weeks,
        )
    form.time_zone.choices = scheduling_zone_choices(
        own, zone_of(case.member), also=proposal.time_zone if proposal else None
    )
    return form


@bp.route("/cases/<int:case_id>/check-ins", methods=["GET", "POST"])
@access(Access.STAFF)
def staff_list(case_id: int):
    case = get_case_for(current_user, case_id)
    proposed_after = None
    if request.method == "GET" and request.args.get("after", type=int):
        proposed_after = services.check_in_of_or_404(case, request.args.get("after", type=int))
    proposal = services.proposed_next(proposed_after) if proposed_after else None
    form = _schedule_form(case, proposal)
    if form.validate_on_submit():
        try:
            check_in = services.schedule_check_in(
                case,
                by=current_user,
                details=services.CheckInDetails(
                    slot=_slot(form),
                    mode=CheckInMode(form.mode.data),
                    duration_minutes=form.duration_minutes.data,
                    agenda=form.agenda.data,
                    cadence_weeks=form.cadence_weeks.data,
                ),
            )
        except CheckInError as error:
            db.session.rollback()
            errors = form.day.errors if str(error) in WHEN_ERRORS else form.form_errors
            errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(
                _("The check-in is scheduled; the member and the team get a calendar invitation."),
                "success",
            )
            return redirect(
                url_for("checkins.staff_check_in", case_id=case.id, check_in_id=check_in.id)
            )
    services.record_view(case, "staff")
    commit_keeping_loaded()
    return render_template(
        "checkins/staff.html",
        case=case,
        form=form,
        proposal=proposal,
        proposed_after=proposed_after,
        viewer_zone=zone_of(current_user),
        member_zone=zone_of(case.member),
        **_split(services.check_ins_of(case)),
        **_page_values(),
    ), 400 if form.is_submitted() else 200


# --- Staff: one check-in ------------------------------------------------------------------------


def _reschedule_form(case, check_in, **kwargs) -> RescheduleForm:
    local = services.local_start(check_in)
    form = RescheduleForm(
        day=local.date(),
        at=local.time().replace(tzinfo=None),
        time_zone=check_in.time_zone,
        sequence=check_in.calendar_sequence,
        **kwargs,
    )
    form.time_zone.choices = scheduling_zone_choices(
        zone_of(current_user), zone_of(case.member), also=check_in.time_zone
    )
    return form


def _staff_check_in_page(case, check_in, *, reschedule_form=None, outcome_form=None, status=200):
    services.record_view(case, "staff", check_in)
    commit_keeping_loaded()
    return render_template(
        "checkins/staff_check_in.html",
        case=case,
        check_in=check_in,
        reschedule_form=reschedule_form or _reschedule_form(case, check_in, formdata=None),
        outcome_form=outcome_form or OutcomeForm(formdata=None),
        confirm=ConfirmForm(),
        now=clock.now(),
        proposal=services.proposed_next(check_in),
        viewer_zone=zone_of(current_user),
        member_zone=zone_of(case.member),
        **_page_values(),
    ), status


def _back_to(check_in):
    return redirect(
        url_for("checkins.staff_check_in", case_id=check_in.case_id, check_in_id=check_in.id)
    )


@bp.route("/cases/<int:case_id>/check-ins/<int:check_in_id>")
@access(Access.STAFF)
def staff_check_in(case_id: int, check_in_id: int):
    case = get_case_for(current_user, case_id)
    return _staff_check_in_page(case, services.check_in_of_or_404(case, check_in_id))


@bp.route("/cases/<int:case_id>/check-ins/<int:check_in_id>/reschedule", methods=["POST"])
@access(Access.STAFF)
def reschedule(case_id: int, check_in_id: int):
    case = get_case_for(current_user, case_id)
    check_in = services.check_in_of_or_404(case, check_in_id)
    form = _reschedule_form(case, check_in)
    if form.validate_on_submit():
        try:
            services.reschedule_check_in(
                check_in, by=current_user, slot=_slot(form), sequence=form.sequence.data
            )
        except CheckInError as error:
            db.session.rollback()
            if str(error) not in WHEN_ERRORS:
                flash(str(ERRORS[str(error)]), "error")
                return _back_to(check_in)
            form.day.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(
                _("The check-in has a new time; the member and the team get the calendar update."),
                "success",
            )
            return _back_to(check_in)
    return _staff_check_in_page(case, check_in, reschedule_form=form, status=400)


@bp.route("/cases/<int:case_id>/check-ins/<int:check_in_id>/cancel", methods=["POST"])
@access(Access.STAFF)
def cancel(case_id: int, check_in_id: int):
    case = get_case_for(current_user, case_id)
    check_in = services.check_in_of_or_404(case, check_in_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.cancel_check_in(check_in, by=current_user)
        except CheckInError as error:
            db.session.rollback()
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(
                _("The check-in is cancelled; the member and the team get the cancellation."),
                "success",
            )
    return _back_to(check_in)


@bp.route("/cases/<int:case_id>/check-ins/<int:check_in_id>/outcome", methods=["POST"])
@access(Access.STAFF)
def record_outcome(case_id: int, check_in_id: int):
    case = get_case_for(current_user, case_id)
    check_in = services.check_in_of_or_404(case, check_in_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            services.record_outcome(
                check_in,
                by=current_user,
                outcome=services.Outcome(
                    held=form.held.data == "held",
                    internal_notes=form.internal_notes.data,
                    member_summary=form.member_summary.data,
                    plan_change=form.plan_change.data,
                ),
            )
        except CheckInError as error:
            db.session.rollback()
            if str(error) == "not_yet":
                form.form_errors.append(ERRORS["not_yet"])
                return _staff_check_in_page(case, check_in, outcome_form=form, status=400)
            flash(str(ERRORS[str(error)]), "error")
            return _back_to(check_in)
        db.session.commit()
        flash(_("The outcome is recorded."), "success")
        if services.proposed_next(check_in):
            flash(_("The next check-in is proposed below: check it and schedule it."), "info")
            return redirect(
                url_for("checkins.staff_list", case_id=case.id, after=check_in.id) + "#schedule"
            )
        return _back_to(check_in)
    return _staff_check_in_page(case, check_in, outcome_form=form, status=400)


@bp.route("/cases/<int:case_id>/check-ins/<int:check_in_id>/decline-request", methods=["POST"])
@access(Access.STAFF)
def decline_request(case_id: int, check_in_id: int):
    case = get_case_for(current_user, case_id)
    check_in = services.check_in_of_or_404(case, check_in_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.decline_request(check_in, by=current_user)
        except CheckInError as error:
            db.session.rollback()
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(_("The request is answered: the time stays. The member is notified."), "success")
    return _back_to(check_in)
