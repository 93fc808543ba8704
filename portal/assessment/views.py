"""Staff author and release assessments at /cases/<id>/assessment; members read them and give
their perspective at /assessment."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.access import Access, access
from portal.assessment import bp, labels, services
from portal.assessment.charts import history_chart, peer_chart
from portal.assessment.forms import (
    FactorForm,
    ReleaseForm,
    SummaryForm,
    history_counts,
    history_form,
    perspective_form,
)
from portal.assessment.models import FactorCategory, Position, Priority
from portal.auth.forms import ConfirmForm
from portal.cases.services import get_case_for, member_case_or_404
from portal.extensions import db
from portal.transactions import commit_keeping_loaded

ERRORS = {
    "period_order": _l("The last year reviewed must not be before the first."),
    "period_length": _l("The review covers at most the last 10 years."),
    "no_factors": _l("Add at least one contributing factor before releasing."),
    "no_narrative": _l("Write the narrative before releasing."),
    "no_change_note": _l("Say what changed since the last released version."),
    "figures_note": _l("Say why you correct a figure computed from the register."),
}


def _staff_page(case, **forms):
    draft, latest, versions = services.workspace_versions(case)
    shown = draft or latest
    if shown is not None:
        services.record_view(shown, case=case, how="staff")
    commit_keeping_loaded()
    entries = services.perspectives_of(case)
    return render_template(
        "assessment/staff.html",
        case=case,
        draft=draft,
        latest=latest,
        versions=versions,
        perspectives=services.perspectives_by_factor(entries),
        acknowledgement=services.acknowledgement_of(latest) if latest else None,
        # Only the form that was sent shows what was typed; the others show the saved draft.
        summary_form=forms.get("summary_form")
        or (SummaryForm(formdata=None, obj=draft) if draft else None),
        history_form=forms.get("history_form")
        or (history_form(draft, formdata=None) if draft else None),
        factor_form=forms.get("factor_form") or FactorForm(formdata=None),
        release_form=forms.get("release_form") or ReleaseForm(formdata=None),
        confirm=ConfirmForm(),
        history_rows=services.history_table(shown) if shown else [],
        charts=_charts(shown) if shown else None,
        labels=labels.ALL,
    )


def _charts(version):
    return {"history": history_chart(version), "peers": peer_chart(version)}


def _draft_or_404(case):
    draft = services.draft_of(case)
    if draft is None:
        abort(404)
    return draft


@bp.route("/cases/<int:case_id>/assessment")
@access(Access.STAFF)
def staff_view(case_id: int):
    case = get_case_for(current_user, case_id)
    return _staff_page(case)


@bp.route("/cases/<int:case_id>/assessment/draft", methods=["POST"])
@access(Access.STAFF)
def start_draft(case_id: int):
    case = get_case_for(current_user, case_id)
    if ConfirmForm().validate_on_submit():
        services.start_draft(case, by=current_user)
        db.session.commit()
    return redirect(url_for("assessment.staff_view", case_id=case.id) + "#draft")


@bp.route("/cases/<int:case_id>/assessment/draft/summary", methods=["POST"])
@access(Access.STAFF)
def update_summary(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            services.update_summary(
                draft,
                period_start_year=form.period_start_year.data,
                period_end_year=form.period_end_year.data,
                member_rate=form.member_rate.data,
                peer_rate=form.peer_rate.data,
                narrative=form.narrative.data or "",
                figures_note=form.figures_note.data,
            )
        except services.AssessmentError as error:
            db.session.rollback()
            target = form.figures_note if str(error) == "figures_note" else form.period_end_year
            target.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("The draft is saved."), "success")
            return redirect(url_for("assessment.staff_view", case_id=case.id) + "#draft")
    return _staff_page(case, summary_form=form), 400


@bp.route("/cases/<int:case_id>/assessment/draft/history", methods=["POST"])
@access(Access.STAFF)
def update_history(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    form = history_form(draft)
    if form.validate_on_submit():
        try:
            services.set_history(draft, history_counts(form, draft), form.figures_note.data)
        except services.AssessmentError as error:
            db.session.rollback()
            form.figures_note.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("The history is saved."), "success")
            return redirect(url_for("assessment.staff_view", case_id=case.id) + "#history")
    return _staff_page(case, history_form=form), 400


@bp.route("/cases/<int:case_id>/assessment/draft/factors", methods=["POST"])
@access(Access.STAFF)
def add_factor(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    form = FactorForm()
    if form.validate_on_submit():
        services.add_factor(
            draft,
            category=FactorCategory(form.category.data),
            description=form.description.data,
            priority=Priority(form.priority.data),
        )
        db.session.commit()
        flash(_("The factor is added."), "success")
        return redirect(url_for("assessment.staff_view", case_id=case.id) + "#factors")
    return _staff_page(case, factor_form=form), 400


@bp.route("/cases/<int:case_id>/assessment/draft/factors/<int:factor_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_factor(case_id: int, factor_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    factor = services.draft_factor_or_404(draft, factor_id)
    form = FactorForm(obj=factor)
    if form.validate_on_submit():
        services.update_factor(
            draft,
            factor,
            category=FactorCategory(form.category.data),
            description=form.description.data,
            priority=Priority(form.priority.data),
        )
        db.session.commit()
        flash(_("The factor is saved."), "success")
        return redirect(url_for("assessment.staff_view", case_id=case.id) + "#factors")
    if not form.is_submitted():  # the page shows the factor as the draft has it
        services.record_view(draft, case=case, how="factor form")
        commit_keeping_loaded()
    return render_template(
        "assessment/edit_factor.html", case=case, factor=factor, form=form, confirm=ConfirmForm()
    )


@bp.route("/cases/<int:case_id>/assessment/draft/factors/<int:factor_id>/delete", methods=["POST"])
@access(Access.STAFF)
def remove_factor(case_id: int, factor_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    factor = services.draft_factor_or_404(draft, factor_id)
    if ConfirmForm().validate_on_submit():
        services.remove_factor(draft, factor)
        db.session.commit()
        flash(_("The factor is removed from the draft."), "success")
    return redirect(url_for("assessment.staff_view", case_id=case.id) + "#factors")


@bp.route("/cases/<int:case_id>/assessment/draft/release", methods=["POST"])
@access(Access.STAFF)
def release(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            services.release(draft, case=case, by=current_user, change_note=form.change_note.data)
        except services.AssessmentError as error:
            db.session.rollback()
            if str(error) == "no_change_note":
                form.change_note.errors.append(ERRORS[str(error)])
            else:
                form.form_errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(
                _(
                    "Version %(n)d is released to the member, who is notified by email.",
                    n=draft.number,
                ),
                "success",
            )
            return redirect(url_for("assessment.staff_view", case_id=case.id))
    return _staff_page(case, release_form=form), 400


@bp.route("/cases/<int:case_id>/assessment/versions/<int:number>")
@access(Access.STAFF)
def staff_version(case_id: int, number: int):
    case = get_case_for(current_user, case_id)
    version = services.released_version_or_404(case, number)
    services.record_view(version, case=case, how="staff")
    commit_keeping_loaded()
    return render_template(
        "assessment/version.html",
        case=case,
        version=version,
        latest_number=services.released_versions(case)[0].number,
        history_rows=services.history_table(version),
        charts=_charts(version),
        labels=labels.ALL,
        staff=True,
    )


# --- The member's side -------------------------------------------------------------------------


def _member_page(case, version, form=None, status=200):
    services.record_view(version, case=case, how="member")
    commit_keeping_loaded()
    versions = services.released_versions(case)
    entries = services.perspectives_of(case)
    return render_template(
        "assessment/member.html",
        case=case,
        version=version,
        versions=versions,
        is_latest=version.number == versions[0].number,
        form=form or perspective_form(version, formdata=None),
        perspectives=services.perspectives_by_factor(entries),
        acknowledgement=services.acknowledgement_of(version),
        confirm=ConfirmForm(),
        history_rows=services.history_table(version),
        charts=_charts(version),
        labels=labels.ALL,
    ), status


@bp.route("/assessment")
@access(Access.MEMBER)
def member_view():
    case = member_case_or_404(current_user)
    version = services.released_version(case)
    if version is None:
        return render_template("assessment/not_yet.html", case=case)
    return _member_page(case, version)


@bp.route("/assessment/versions/<int:number>")
@access(Access.MEMBER)
def member_version(number: int):
    case = member_case_or_404(current_user)
    return _member_page(case, services.released_version_or_404(case, number))


@bp.route("/assessment/versions/<int:number>/perspective", methods=["POST"])
@access(Access.MEMBER)
def add_perspective(number: int):
    case = member_case_or_404(current_user)
    version = services.released_version_or_404(case, number)
    form = perspective_form(version)
    if form.validate_on_submit():
        responses = [
            services.FactorResponse(
                factor_key=factor.key,
                position=Position(form[f"position_{factor.key}"].data)
                if form[f"position_{factor.key}"].data
                else None,
                comment=form[f"comment_{factor.key}"].data or "",
            )
            for factor in version.factors
        ]
        added = services.record_perspective(
            version,
            case=case,
            member=current_user,
            responses=responses,
            overall=form.overall.data or "",
        )
        if added:
            db.session.commit()
            flash(
                _("Thank you. Your perspective is saved and the MSP team is notified."), "success"
            )
            return redirect(url_for("assessment.member_version", number=number))
        form.form_errors.append(_("Choose a position or write a comment before you send."))
    return _member_page(case, version, form=form, status=400)


@bp.route("/assessment/versions/<int:number>/acknowledge", methods=["POST"])
@access(Access.MEMBER)
def acknowledge(number: int):
    case = member_case_or_404(current_user)
    version = services.released_version_or_404(case, number)
    if ConfirmForm().validate_on_submit():
        services.acknowledge(version, case=case, member=current_user)
        db.session.commit()
        flash(
            _("Thank you. The MSP team can see that you have reviewed your assessment."), "success"
        )
    return redirect(url_for("assessment.member_version", number=number))


@bp.route("/assessment/versions/<int:number>/print")
@access(Access.MEMBER)
def member_print(number: int):
    case = member_case_or_404(current_user)
    version = services.released_version_or_404(case, number)
    services.record_view(version, case=case, how="print")
    commit_keeping_loaded()
    return render_template(
        "assessment/print.html",
        case=case,
        version=version,
        history_rows=services.history_table(version),
        charts=_charts(version),
        perspectives=services.perspectives_by_factor(services.perspectives_of(case)),
        labels=labels.ALL,
    )
