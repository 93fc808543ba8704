from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.access import Access, access
from portal.auth.forms import ConfirmForm
from portal.auth.services import DuplicateEmail
from portal.cases import bp, services
from portal.cases.forms import ReferralForm
from portal.extensions import db
from portal.pagination import paginate


@bp.route("/")
@access(Access.STAFF)
def index():
    page = paginate(services.cases_query_for(current_user), request.args.get("page"))
    return render_template("cases/index.html", page=page)


@bp.route("/refer", methods=["GET", "POST"])
@access(Access.STAFF)
def refer():
    form = ReferralForm()
    advisors = services.staff_choices()
    form.lead_advisor_id.choices = [SelectChoice(a.id, a.name) for a in advisors]
    if request.method == "GET":
        form.lead_advisor_id.data = current_user.id
    if form.validate_on_submit():
        lead = next((a for a in advisors if a.id == form.lead_advisor_id.data), None)
        referral = services.Referral(
            name=form.name.data,
            email=form.email.data,
            member_number=form.member_number.data,
            specialty=form.specialty.data,
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


@bp.route("/<int:case_id>")
@access(Access.STAFF)
def show(case_id: int):
    case = services.get_case_for(current_user, case_id)
    return render_template(
        "cases/show.html",
        case=case,
        profile=services.profile_of(case.member),
        form=ConfirmForm(),
    )


@bp.route("/<int:case_id>/resend-invitation", methods=["POST"])
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
