"""Staff draft and share the plan at /cases/<id>/plan; members read it, add their input and agree
at /plan."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.access import Access, access
from portal.assessment import labels as assessment_labels
from portal.assessment.services import released_factors
from portal.auth.forms import ConfirmForm
from portal.cases.services import get_case_for, member_case_or_404
from portal.extensions import db
from portal.plan import bp, labels, services
from portal.plan.forms import ActivityForm, GoalForm, InputForm, ShareForm
from portal.plan.models import ActivityKind, LearningPreference
from portal.transactions import commit_keeping_loaded

ERRORS = {
    "no_goals": _l("Add at least one goal before sharing."),
    "goal_without_activity": _l("Every goal needs at least one activity before sharing."),
    "no_change_note": _l("Say what changed since the last shared version."),
    "not_open": _l("This version is no longer open for sign-off."),
    "not_lead": _l("Only the lead advisor can approve the plan."),
    "empty_input": _l("Fill in at least one part before you send."),
    "unknown_target": _l("Choose a goal or activity of this version."),
    "not_draft": _l("Only a draft can be changed."),
}


def _factor_choices(factors):
    return [
        SelectChoice(f.key, f"{assessment_labels.CATEGORIES[f.category]}: {f.description[:80]}")
        for f in factors
    ]


def _goal_form(case, factors, **kwargs):
    form = GoalForm(**kwargs)
    form.factor_keys.choices = _factor_choices(factors)
    return form


def _activity_form(draft, **kwargs):
    form = ActivityForm(**kwargs)
    form.goal_id.choices = [SelectChoice(g.id, g.title) for g in draft.goals]
    return form


def _activity_details(form) -> services.ActivityDetails:
    return services.ActivityDetails(
        title=form.title.data,
        kind=ActivityKind(form.kind.data),
        provider=form.provider.data or "",
        url=form.url.data or "",
        estimated_hours=form.estimated_hours.data,
        due_date=form.due_date.data,
        required=bool(form.required.data),
    )


def _workspace(case, status=200, **forms):
    draft, latest, versions = services.workspace_versions(case)
    shown = draft or latest
    if shown is not None:
        services.record_view(shown, case=case, how="staff")
    commit_keeping_loaded()
    factors = released_factors(case)
    return render_template(
        "plan/staff.html",
        case=case,
        draft=draft,
        latest=latest,
        versions=versions,
        inputs=services.inputs_of(case),
        factors={f.key: f for f in factors},
        goal_form=forms.get("goal_form") or _goal_form(case, factors, formdata=None),
        activity_form=forms.get("activity_form")
        or (_activity_form(draft, formdata=None) if draft else None),
        share_form=forms.get("share_form") or ShareForm(formdata=None),
        confirm=ConfirmForm(),
        labels=labels.ALL,
        assessment_labels=assessment_labels.ALL,
        items=_item_titles(latest) if latest else {},
    ), status


def _item_titles(version):
    titles = {g.key: g.title for g in version.goals}
    titles.update({a.key: a.title for g in version.goals for a in g.activities})
    return titles


def _draft_or_404(case):
    draft = services.draft_of(case)
    if draft is None:
        abort(404)
    return draft


def _back(case, anchor=""):
    return redirect(url_for("plan.staff_view", case_id=case.id) + anchor)


@bp.route("/cases/<int:case_id>/plan")
@access(Access.STAFF)
def staff_view(case_id: int):
    return _workspace(get_case_for(current_user, case_id))


@bp.route("/cases/<int:case_id>/plan/draft", methods=["POST"])
@access(Access.STAFF)
def start_draft(case_id: int):
    case = get_case_for(current_user, case_id)
    if ConfirmForm().validate_on_submit():
        services.start_draft(case, by=current_user)
        db.session.commit()
    return _back(case, "#draft")


@bp.route("/cases/<int:case_id>/plan/draft/goals", methods=["POST"])
@access(Access.STAFF)
def add_goal(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    form = _goal_form(case, released_factors(case))
    if form.validate_on_submit():
        services.save_goal(
            draft,
            None,
            title=form.title.data,
            description=form.description.data or "",
            factor_keys=form.factor_keys.data,
        )
        db.session.commit()
        flash(_("The goal is added."), "success")
        return _back(case, "#goals")
    return _workspace(case, 400, goal_form=form)


@bp.route("/cases/<int:case_id>/plan/draft/goals/<int:goal_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_goal(case_id: int, goal_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    goal = services.draft_goal_or_404(draft, goal_id)
    form = _goal_form(case, released_factors(case), obj=goal)
    if request.method == "GET":
        form.factor_keys.data = goal.factor_keys
    if form.validate_on_submit():
        services.save_goal(
            draft,
            goal,
            title=form.title.data,
            description=form.description.data or "",
            factor_keys=form.factor_keys.data,
        )
        db.session.commit()
        flash(_("The goal is saved."), "success")
        return _back(case, "#goals")
    if not form.is_submitted():  # the page shows the goal as the draft has it
        services.record_view(draft, case=case, how="goal form")
        commit_keeping_loaded()
    return render_template(
        "plan/edit_goal.html", case=case, goal=goal, form=form, confirm=ConfirmForm()
    )


@bp.route("/cases/<int:case_id>/plan/draft/goals/<int:goal_id>/delete", methods=["POST"])
@access(Access.STAFF)
def remove_goal(case_id: int, goal_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    goal = services.draft_goal_or_404(draft, goal_id)
    if ConfirmForm().validate_on_submit():
        services.remove_goal(draft, goal)
        db.session.commit()
        flash(_("The goal and its activities are removed from the draft."), "success")
    return _back(case, "#goals")


@bp.route("/cases/<int:case_id>/plan/draft/activities", methods=["POST"])
@access(Access.STAFF)
def add_activity(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    form = _activity_form(draft)
    if form.validate_on_submit():
        goal = services.draft_goal_or_404(draft, form.goal_id.data)
        services.save_activity(draft, None, goal=goal, details=_activity_details(form))
        db.session.commit()
        flash(_("The activity is added."), "success")
        return _back(case, "#goals")
    return _workspace(case, 400, activity_form=form)


@bp.route("/cases/<int:case_id>/plan/draft/activities/<int:activity_id>", methods=["GET", "POST"])
@access(Access.STAFF)
def edit_activity(case_id: int, activity_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    activity = services.draft_activity_or_404(draft, activity_id)
    form = _activity_form(draft, obj=activity)
    if request.method == "GET":
        form.goal_id.data = activity.goal_id
        form.kind.data = activity.kind.value
    if form.validate_on_submit():
        goal = services.draft_goal_or_404(draft, form.goal_id.data)
        services.save_activity(draft, activity, goal=goal, details=_activity_details(form))
        db.session.commit()
        flash(_("The activity is saved."), "success")
        return _back(case, "#goals")
    if not form.is_submitted():  # the page shows the activity as the draft has it
        services.record_view(draft, case=case, how="activity form")
        commit_keeping_loaded()
    return render_template(
        "plan/edit_activity.html", case=case, activity=activity, form=form, confirm=ConfirmForm()
    )


@bp.route("/cases/<int:case_id>/plan/draft/activities/<int:activity_id>/delete", methods=["POST"])
@access(Access.STAFF)
def remove_activity(case_id: int, activity_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    activity = services.draft_activity_or_404(draft, activity_id)
    if ConfirmForm().validate_on_submit():
        services.remove_activity(draft, activity)
        db.session.commit()
        flash(_("The activity is removed from the draft."), "success")
    return _back(case, "#goals")


@bp.route("/cases/<int:case_id>/plan/draft/share", methods=["POST"])
@access(Access.STAFF)
def share(case_id: int):
    case = get_case_for(current_user, case_id)
    draft = _draft_or_404(case)
    form = ShareForm()
    if form.validate_on_submit():
        try:
            services.share(draft, case=case, by=current_user, change_note=form.change_note.data)
        except services.PlanError as error:
            db.session.rollback()
            if str(error) == "no_change_note":
                form.change_note.errors.append(ERRORS[str(error)])
            else:
                form.form_errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(
                _(
                    "Version %(n)d is shared with the member, who is notified by email.",
                    n=draft.number,
                ),
                "success",
            )
            return _back(case)
    return _workspace(case, 400, share_form=form)


@bp.route("/cases/<int:case_id>/plan/versions/<int:number>/approve", methods=["POST"])
@access(Access.STAFF)
def approve(case_id: int, number: int):
    case = get_case_for(current_user, case_id)
    version = services.shared_version_or_404(case, number)
    if ConfirmForm().validate_on_submit():
        try:
            activated = services.advisor_approves(version, case=case, advisor=current_user)
        except services.PlanError as error:
            db.session.rollback()
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(
                _("The plan is active: both sides have signed off.")
                if activated
                else _(
                    "Your approval is recorded. The plan becomes active when the member agrees."
                ),
                "success",
            )
    return _back(case)


def _version_page(case, version, *, staff: bool):
    services.record_view(version, case=case, how="staff" if staff else "member")
    commit_keeping_loaded()
    versions = services.shared_versions(case)
    return render_template(
        "plan/version.html",
        case=case,
        version=version,
        versions=versions,
        staff=staff,
        factors={f.key: f for f in released_factors(case)},
        labels=labels.ALL,
        assessment_labels=assessment_labels.ALL,
    )


@bp.route("/cases/<int:case_id>/plan/versions/<int:number>")
@access(Access.STAFF)
def staff_version(case_id: int, number: int):
    case = get_case_for(current_user, case_id)
    return _version_page(case, services.shared_version_or_404(case, number), staff=True)


def _compare_page(case, *, staff: bool):
    versions = services.shared_versions(case)
    if not versions:  # nothing to compare yet
        return redirect(
            url_for("plan.staff_view", case_id=case.id) if staff else url_for("plan.member_view")
        )
    numbers = [v.number for v in versions]
    try:
        newer = int(request.args.get("to") or (numbers[0] if numbers else 0))
        older = int(request.args.get("from") or (numbers[1] if len(numbers) > 1 else newer))
    except ValueError:
        abort(404)
    if older > newer:
        older, newer = newer, older
    before = services.shared_version_or_404(case, older)
    after = services.shared_version_or_404(case, newer)
    services.record_view(after, case=case, how="compare")
    commit_keeping_loaded()
    return render_template(
        "plan/compare.html",
        case=case,
        before=before,
        after=after,
        versions=versions,
        changes=services.compare(before, after),
        staff=staff,
        factors={f.key: f for f in released_factors(case)},
        labels=labels.ALL,
        assessment_labels=assessment_labels.ALL,
    )


@bp.route("/cases/<int:case_id>/plan/compare")
@access(Access.STAFF)
def staff_compare(case_id: int):
    return _compare_page(get_case_for(current_user, case_id), staff=True)


# --- The member's side -------------------------------------------------------------------------


def _input_form(version, **kwargs):
    form = InputForm(**kwargs)
    form.target_key.choices = [SelectChoice("", _("The plan as a whole"))] + [
        SelectChoice(key, title) for key, title in _item_titles(version).items()
    ]
    return form


def _member_page(case, version, form=None, status=200):
    services.record_view(version, case=case, how="member")
    commit_keeping_loaded()
    versions = services.shared_versions(case)
    return render_template(
        "plan/member.html",
        case=case,
        version=version,
        versions=versions,
        is_latest=version.number == versions[0].number,
        form=form or _input_form(version, formdata=None),
        inputs=services.inputs_of(case),
        items=_item_titles(version),
        confirm=ConfirmForm(),
        factors={f.key: f for f in released_factors(case)},
        labels=labels.ALL,
        assessment_labels=assessment_labels.ALL,
    ), status


@bp.route("/plan")
@access(Access.MEMBER)
def member_view():
    case = member_case_or_404(current_user)
    version = services.shared_version(case)
    if version is None:
        return render_template("plan/not_yet.html", case=case)
    return _member_page(case, version)


@bp.route("/plan/versions/<int:number>")
@access(Access.MEMBER)
def member_version(number: int):
    case = member_case_or_404(current_user)
    return _member_page(case, services.shared_version_or_404(case, number))


@bp.route("/plan/versions/<int:number>/input", methods=["POST"])
@access(Access.MEMBER)
def add_input(number: int):
    case = member_case_or_404(current_user)
    version = services.shared_version_or_404(case, number)
    form = _input_form(version)
    if form.validate_on_submit():
        given = services.MemberInput(
            learning_preferences=[
                LearningPreference(v) for v in form.learning_preferences.data or []
            ],
            availability=form.availability.data or "",
            own_goals=form.own_goals.data or "",
            suggested_activities=form.suggested_activities.data or "",
            target_key=form.target_key.data or None,
            comment=form.comment.data or "",
        )
        try:
            services.record_input(version, case=case, member=current_user, given=given)
        except services.PlanError as error:
            db.session.rollback()
            form.form_errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("Thank you. Your input is saved and the MSP team is notified."), "success")
            return redirect(url_for("plan.member_version", number=number))
    return _member_page(case, version, form=form, status=400)


@bp.route("/plan/versions/<int:number>/agree", methods=["POST"])
@access(Access.MEMBER)
def agree(number: int):
    case = member_case_or_404(current_user)
    version = services.shared_version_or_404(case, number)
    if ConfirmForm().validate_on_submit():
        try:
            activated = services.member_agrees(version, case=case, member=current_user)
        except services.PlanError as error:
            db.session.rollback()
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(
                _("Your plan is active. You can now start your activities.")
                if activated
                else _(
                    "Thank you. Your agreement is recorded; "
                    "your lead advisor will approve the plan."
                ),
                "success",
            )
    return redirect(url_for("plan.member_version", number=number))


@bp.route("/plan/compare")
@access(Access.MEMBER)
def member_compare():
    return _compare_page(member_case_or_404(current_user), staff=False)


@bp.route("/plan/versions/<int:number>/print")
@access(Access.MEMBER)
def member_print(number: int):
    case = member_case_or_404(current_user)
    version = services.shared_version_or_404(case, number)
    services.record_view(version, case=case, how="print")
    commit_keeping_loaded()
    return render_template(
        "plan/print.html",
        case=case,
        version=version,
        factors={f.key: f for f in released_factors(case)},
        labels=labels.ALL,
        assessment_labels=assessment_labels.ALL,
    )
