from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Access, access
from portal.audit.services import record
from portal.auth import bp, email_change, services
from portal.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from portal.auth.models import TokenPurpose
from portal.auth.signin import (
    begin_session,
    forget_signed_in_user,
    login_rate_limit,
    paused_message,
    refuse_password,
)
from portal.extensions import db, limiter
from portal.twofactor import services as two_factor
from portal.twofactor.signin import ask_for_code
from portal.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
@access(Access.ANONYMOUS)
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data)
        if result.outcome is services.LoginOutcome.OK and two_factor.is_enabled(result.user):
            db.session.commit()
            return ask_for_code(result.user, request.args.get("next"))
        if result.outcome is services.LoginOutcome.OK:
            begin_session(result.user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
        db.session.commit()
        messages = {
            services.LoginOutcome.INVALID: _("The email or password is not right."),
            services.LoginOutcome.LOCKED: paused_message(),
            services.LoginOutcome.INACTIVE: _(
                "This account is not active. Please contact the MSP team."
            ),
        }
        form.form_errors.append(messages[result.outcome])
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@access(Access.AUTHENTICATED)
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        services.end_session(current_user.session_token)
        record("auth.logout", object_type="user", object_id=current_user.id)
        db.session.commit()
        forget_signed_in_user()
        flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@access(Access.ANONYMOUS)
def accept_invitation(token: str):
    invitation = services.find_usable_token(token, TokenPurpose.INVITATION)
    if invitation is None:
        return render_template("auth/link_invalid.html", kind="invitation"), 404
    form = NewPasswordForm()
    form.account_email = invitation.user.email
    if form.validate_on_submit():
        user = services.accept_invitation(invitation, form.password.data)
        begin_session(user)
        db.session.commit()
        flash(_("Welcome to the MSP Portal. Your password is set."), "success")
        return redirect(url_for("home.index"))
    return render_template("auth/accept_invitation.html", form=form, user=invitation.user)


# Open to signed-in users too: a holder whose account is locked (perhaps by someone holding a
# stolen session) can still reset the password, which ends every session.
@bp.route("/forgot-password", methods=["GET", "POST"])
@access(Access.PUBLIC)
@limiter.limit(login_rate_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_requested.html")
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@access(Access.PUBLIC)
def reset_password(token: str):
    reset = services.find_usable_token(token, TokenPurpose.PASSWORD_RESET)
    if reset is None:
        return render_template("auth/link_invalid.html", kind="reset"), 404
    form = NewPasswordForm()
    form.account_email = reset.user.email
    if form.validate_on_submit():
        services.reset_password(reset, form.password.data)
        db.session.commit()
        if current_user.is_authenticated:
            forget_signed_in_user()  # its session, if it was this account's, has just ended
        flash(_("Your password is changed. Sign in with your new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@access(Access.AUTHENTICATED)
@limiter.limit(login_rate_limit, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        checked = services.change_password(
            current_user, form.current_password.data, form.password.data
        )
        db.session.commit()
        if checked is services.Reauthentication.OK:
            flash(_("Your password is changed. Your other sessions were signed out."), "success")
            return redirect(url_for("home.index"))
        if signed_out := refuse_password(checked, form.current_password):
            return signed_out
    return render_template(
        "auth/change_password.html",
        form=form,
        pending_email=email_change.pending_change(current_user),
    )


@bp.route("/account/email", methods=["GET", "POST"])
@access(Access.AUTHENTICATED)
@limiter.limit(login_rate_limit, methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        outcome = email_change.request_email_change(
            current_user, form.current_password.data, form.email.data
        )
        db.session.commit()
        if outcome is email_change.RequestOutcome.SENT:
            flash(
                _(
                    "We sent a confirmation link to the new address. Your email address changes "
                    "only once you open that link."
                ),
                "success",
            )
            return redirect(url_for("auth.change_email"))
        if isinstance(outcome, services.Reauthentication):
            if signed_out := refuse_password(outcome, form.current_password):
                return signed_out
        else:
            field, message = {
                email_change.RequestOutcome.SAME_ADDRESS: (
                    form.email,
                    _("This is already your email address."),
                ),
                email_change.RequestOutcome.UNAVAILABLE: (
                    form.email,
                    _("This address cannot be used. Choose another one."),
                ),
                email_change.RequestOutcome.TOO_MANY: (
                    form.email,
                    _("You have asked for too many changes of address. Please try again later."),
                ),
            }[outcome]
            field.errors.append(message)
    return render_template(
        "auth/change_email.html",
        form=form,
        cancel_form=ConfirmForm(),
        pending=email_change.pending_change(current_user),
    )


@bp.route("/account/email/cancel", methods=["POST"])
@access(Access.AUTHENTICATED)
def cancel_email_change():
    form = ConfirmForm()
    if form.validate_on_submit() and email_change.cancel_email_change(current_user):
        db.session.commit()
        flash(
            _(
                "The change of address is cancelled. The link sent to the new address no longer "
                "works."
            ),
            "success",
        )
    return redirect(url_for("auth.change_email"))


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@access(Access.AUTHENTICATED)
def confirm_email_change(token: str):
    # The link works only for the account that asked: a stranger given a mistyped address
    # cannot take the account over by confirming it.
    change = email_change.find_change_to_confirm(current_user, token)
    if change is None:
        return render_template("auth/link_invalid.html", kind="email_change"), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        outcome = email_change.confirm_email_change(change)
        db.session.commit()
        if outcome is email_change.ConfirmOutcome.STALE:
            return render_template("auth/link_invalid.html", kind="email_change"), 404
        if outcome is email_change.ConfirmOutcome.UNAVAILABLE:
            flash(_("This address cannot be used. Your email address has not changed."), "error")
        else:
            flash(
                _(
                    "Your email address is changed: use the new one to sign in. Your other "
                    "sessions were signed out."
                ),
                "success",
            )
        return redirect(url_for("auth.change_email"))
    return render_template("auth/confirm_email_change.html", form=form, change=change)
