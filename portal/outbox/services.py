"""Queueing emails. A notification says only that something is waiting, with a link: templates in
`templates/email/` must never receive message bodies, assessment or plan content."""

import uuid
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from portal.auth.models import User
from portal.extensions import db
from portal.outbox.models import OutboxEmail

SUBJECTS = {
    "invitation": lambda: gettext("You are invited to the MSP Portal"),
    "password_reset": lambda: gettext("Reset your MSP Portal password"),
    "password_changed": lambda: gettext("Your MSP Portal password was changed"),
    "account_locked": lambda: gettext("Sign-in to your MSP Portal account was paused"),
    "email_change_confirm": lambda: gettext("Confirm your new MSP Portal email address"),
    "email_change_requested": lambda: gettext("A change of your MSP Portal email was requested"),
    "email_changed": lambda: gettext("Your MSP Portal email address was changed"),
    "notification": lambda: gettext("You have something new in the MSP Portal"),
    "digest": lambda: gettext("Your daily summary from the MSP Portal"),
    "check_in_scheduled": lambda: gettext("MSP check-in: calendar invitation"),
    "check_in_rescheduled": lambda: gettext("MSP check-in: new time"),
    "check_in_cancelled": lambda: gettext("MSP check-in: cancelled"),
    "check_in_reminder": lambda: gettext("MSP check-in: reminder"),
}


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, built on PORTAL_BASE_URL (there is no request to build on)."""
    base = urlsplit(current_app.config["PORTAL_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def language_for(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return (
        user.language if user.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def queue_email(
    user: User,
    template: str,
    *,
    calendar_ics: str | None = None,
    to_address: str | None = None,
    **context,
) -> OutboxEmail:
    """Render `templates/email/<template>.{txt,html}` in the user's language and add it to the
    outbox (the caller commits, together with the action the email is about). `calendar_ics`, an
    iCalendar text, is sent along as an attachment (check-ins). `to_address` sends it elsewhere
    than the account's address (an email change: the new address, or the old one once changed)."""
    language = language_for(user)
    with force_locale(language):
        subject = SUBJECTS[template]()
        context = {"user": user, "subject": subject, "language": language, **context}
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    domain = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "msp-portal.local"
    email = OutboxEmail(
        recipient_id=user.id,
        to_address=to_address or user.email,
        template=template,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        calendar_ics=calendar_ics,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
    )
    db.session.add(email)
    return email
