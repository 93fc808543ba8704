"""Writing audit events. Services call `record` inside the transaction of the action itself, so an
action and its audit event are committed (or rolled back) together."""

from flask import has_request_context, request
from flask_login import current_user

from portal.audit.models import AuditEvent, Outcome
from portal.auth.models import User
from portal.extensions import db


def _request_ip() -> str | None:
    # With PORTAL_TRUSTED_PROXIES set, ProxyFix has already made remote_addr the real client.
    return request.remote_addr if has_request_context() else None


def _current_actor() -> User | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(
    action: str,
    *,
    actor: User | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    object_type: str | None = None,
    object_id: int | None = None,
    case_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits with the action it describes)."""
    actor = actor if actor is not None else _current_actor()
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else None,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        ip_address=_request_ip(),
        detail=detail[:255] if detail else None,
    )
    db.session.add(event)
    return event


def record_denied(reason: str, **kwargs) -> None:
    """Record a refused access and commit at once: the request is about to be aborted, and the
    denial must be kept even though nothing else of the request will be."""
    db.session.rollback()
    path = request.path if has_request_context() else None
    record(
        "access.denied",
        outcome=Outcome.DENIED,
        detail=f"{reason} {request.method} {path}" if path else reason,
        **kwargs,
    )
    db.session.commit()
