"""The second sign-in step, and enrolling, renewing or turning off a second factor."""

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Access, access
from portal.audit.models import Outcome
from portal.audit.services import record
from portal.auth.services import (
    Reauthentication,
    clear_failed_sign_ins,
    is_locked,
    record_failed_sign_in,
)
from portal.auth.signin import begin_session, login_rate_limit, paused_message, refuse_password
from portal.extensions import db, limiter
from portal.twofactor import bp, services
from portal.twofactor.forms import PasswordConfirmForm, SetupForm, SignInCodeForm
from portal.twofactor.signin import PENDING, PENDING_SECRET, pending_user
from portal.urls import safe_next


@bp.route("/login/code", methods=["GET", "POST"])
@access(Access.ANONYMOUS)
@limiter.limit(login_rate_limit, methods=["POST"])
def verify():
    user = pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        if is_locked(user.email):
            # Locked since the password step (wrong codes or passwords elsewhere): no code is
            # checked.
            record(
                "auth.second_factor",
                actor=user,
                outcome=Outcome.FAILURE,
                object_type="user",
                detail="locked",
            )
            db.session.commit()
            return _paused()
        how = services.verify(user, form.code.data)
        if how is not None:
            next_url = safe_next(session[PENDING].get("next"))
            clear_failed_sign_ins(user.email)
            begin_session(user)
            record("auth.second_factor", actor=user, object_type="user", detail=how)
            if how == "recovery":
                left = services.recovery_codes_left(user)
                flash(
                    _(
                        "You signed in with a recovery code; %(count)d are left. If you lost "
                        "your authenticator, set up a new one now.",
                        count=left,
                    ),
                    "info",
                )
            db.session.commit()
            return redirect(next_url or url_for("home.index"))
        record("auth.second_factor", actor=user, outcome=Outcome.FAILURE, object_type="user")
        locked = record_failed_sign_in(user.email, user)
        db.session.commit()
        if locked:
            return _paused()
        form.code.errors.append(_("This code is not right, or it was already used."))
    return render_template("twofactor/verify.html", form=form)


def _paused():
    session.pop(PENDING, None)
    flash(paused_message(), "error")
    return redirect(url_for("auth.login"))


def _codes_form() -> PasswordConfirmForm:
    return PasswordConfirmForm(prefix="codes")  # its own ids: the page has three password fields


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _new_secret() -> str:
    secret = session.get(PENDING_SECRET)
    if not secret:
        secret = session[PENDING_SECRET] = services.new_secret()
    return secret


def _settings_page(setup_form, password_form, status=200, off_form=None):
    secret = _new_secret()
    uri = services.provisioning_uri(current_user, secret)
    enabled = services.is_enabled(current_user)
    return _no_store(
        (
            render_template(
                "twofactor/settings.html",
                enabled=enabled,
                required=services.is_required_for(current_user),
                codes_left=services.recovery_codes_left(current_user) if enabled else 0,
                qr_svg=services.qr_code_svg(uri),
                secret=services.grouped(secret),
                setup_form=setup_form,
                password_form=password_form,
                off_form=off_form or PasswordConfirmForm(prefix="off"),
            ),
            status,
        )
    )


@bp.route("/account/two-factor")
@access(Access.AUTHENTICATED)
def settings():
    return _settings_page(SetupForm(), _codes_form())


@bp.route("/account/two-factor/setup", methods=["POST"])
@access(Access.AUTHENTICATED)
@limiter.limit(login_rate_limit)
def setup():
    form = SetupForm()
    if not session.get(PENDING_SECRET):
        # The key was never shown in this session (or was already used): show one first.
        flash(_("Scan the code below with your app, then enter the code it shows."), "info")
        return redirect(url_for("twofactor.settings"))
    if form.validate_on_submit():
        checked = services.check_password(
            current_user, form.current_password.data, purpose="set up"
        )
        if checked is not Reauthentication.OK:
            db.session.commit()
            if signed_out := refuse_password(checked, form.current_password):
                return signed_out
        else:
            codes = services.enable(current_user, session[PENDING_SECRET], form.code.data)
            if codes is None:
                form.code.errors.append(
                    _("This code is not right. Check the time on your phone and try again.")
                )
            else:
                session.pop(PENDING_SECRET, None)
                db.session.commit()
                return _no_store(render_template("twofactor/recovery_codes.html", codes=codes))
        db.session.commit()  # the refused attempt's audit event
    return _settings_page(form, _codes_form(), 400)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@access(Access.AUTHENTICATED)
@limiter.limit(login_rate_limit)
def renew_recovery_codes():
    if not services.is_enabled(current_user):
        return redirect(url_for("twofactor.settings"))
    form = _codes_form()
    if form.validate_on_submit():
        checked = services.check_password(
            current_user, form.current_password.data, purpose="new recovery codes"
        )
        if checked is Reauthentication.OK:
            codes = services.regenerate_recovery_codes(current_user)
            db.session.commit()
            return _no_store(render_template("twofactor/recovery_codes.html", codes=codes))
        db.session.commit()
        if signed_out := refuse_password(checked, form.current_password):
            return signed_out
    return _settings_page(SetupForm(), form, 400)


@bp.route("/account/two-factor/off", methods=["POST"])
@access(Access.AUTHENTICATED)
@limiter.limit(login_rate_limit)
def turn_off():
    if not services.is_enabled(current_user):
        return redirect(url_for("twofactor.settings"))
    if services.is_required_for(current_user):
        flash(_("Staff accounts must keep a second factor."), "error")
        return redirect(url_for("twofactor.settings"))
    form = PasswordConfirmForm(prefix="off")
    if form.validate_on_submit():
        checked = services.check_password(
            current_user, form.current_password.data, purpose="turn off"
        )
        if checked is Reauthentication.OK:
            services.disable(current_user)
            db.session.commit()
            flash(_("Two-step sign-in is off. Your other sessions were signed out."), "success")
            return redirect(url_for("twofactor.settings"))
        db.session.commit()
        if signed_out := refuse_password(checked, form.current_password):
            return signed_out
    return _settings_page(SetupForm(), _codes_form(), 400, off_form=form)
