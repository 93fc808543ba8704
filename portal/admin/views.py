from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.access import Access, access
from portal.admin import bp
from portal.auth.forms import ConfirmForm
from portal.auth.models import User
from portal.auth.services import set_active
from portal.extensions import db
from portal.pagination import paginate


@bp.route("/users")
@access(Access.ADMIN)
def users():
    query = select(User).order_by(User.role, User.name, User.id)
    page = paginate(query, request.args.get("page"))
    return render_template("admin/users.html", page=page, form=ConfirmForm())


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
