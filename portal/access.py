"""Deny by default: every view declares who may reach it, and a `before_request` hook enforces it.

A view without a declared rule is refused for everyone (and a test walking `app.url_map` fails), so
forgetting the decorator can never open a page. Object-level checks (is this *your* case?) happen
where the object is loaded, e.g. `cases.services.get_case_for`.
"""

from collections.abc import Callable
from enum import StrEnum

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user


class Access(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not (error pages, language switch, static files)
    ANONYMOUS = "anonymous"  # only when signed out (login, reset); signed-in users are sent home
    AUTHENTICATED = "authenticated"  # any signed-in user
    MEMBER = "member"
    STAFF = "staff"  # staff and admins
    ADMIN = "admin"


# Role values (auth.models.Role is a StrEnum, so its members compare equal to these).
ROLES_FOR = {
    Access.MEMBER: {"member"},
    Access.STAFF: {"staff", "admin"},
    Access.ADMIN: {"admin"},
}


def access(rule: Access) -> Callable:
    def decorate(view: Callable) -> Callable:
        view.access_rule = rule
        return view

    return decorate


def rule_for_endpoint(endpoint: str | None) -> Access | None:
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return Access.PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce_access():
    """`before_request` hook: the single gate every request passes."""
    from portal.audit.services import record_denied

    if request.endpoint is None:  # 404/405: the router's own answer
        return None
    if request.endpoint == "static":
        return None  # our CSS needs no session, and no database query
    if any("\x00" in value for value in request.form.values()):
        abort(400)  # no field of ours takes a NUL byte; PostgreSQL refuses to store one
    # Resolve the signed-in user first, before the view has changed anything: resuming a session
    # may commit its own bookkeeping (last seen, a timeout ending it).
    signed_in = current_user.is_authenticated
    rule = rule_for_endpoint(request.endpoint)
    if rule is None:
        record_denied("route.undeclared")
        abort(403)
    if rule is Access.PUBLIC:
        return None
    if rule is Access.ANONYMOUS:
        if signed_in:
            return redirect(url_for("home.index"))
        return None
    if not signed_in:
        return current_app.login_manager.unauthorized()
    from portal.twofactor.signin import enrolment_redirect

    enrol = enrolment_redirect()
    if enrol is not None:
        return enrol
    if rule is Access.AUTHENTICATED:
        return None
    if current_user.role not in ROLES_FOR[rule]:
        record_denied(f"role.{rule.value}")
        abort(403)
    return None
