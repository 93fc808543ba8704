"""Error pages: our own, translated, never a traceback. A database that cannot be reached gives a
503 page rather than a crash."""

import logging

from flask import Flask, g, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db, login_manager

log = logging.getLogger(__name__)

PAGES = {
    400: (
        _l("Something in this request was not right"),
        _l("The page could not understand what was sent. Go back, reload the page and try again."),
    ),
    403: (
        _l("You do not have access to this page"),
        _l("If you think you should, please contact the MSP team."),
    ),
    404: (_l("Page not found"), _l("This page does not exist or is not available to you.")),
    405: (
        _l("This action is not possible here"),
        _l("Go back to the previous page and use its buttons and forms."),
    ),
    413: (
        _l("The file is too large"),
        _l("What you sent is larger than the portal accepts. Choose a smaller file and try again."),
    ),
    429: (_l("Too many attempts"), _l("Please wait a few minutes before you try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Please try again in a few minutes."),
    ),
    503: (
        _l("The portal is temporarily unavailable"),
        _l(
            "We are working to restore it. Please try again in a few minutes. "
            "Nothing you saved before this page appeared has been lost."
        ),
    ),
}


def render_error(status: int, detail=None):
    title, message = PAGES.get(status, PAGES[500])
    return render_template(
        "errors/error.html", status=status, title=title, message=detail or message
    ), status


def _forget_user():
    """After a database failure the user cannot be loaded; render as signed out."""
    g._login_user = login_manager.anonymous_user()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code < 400:
            return error
        response_body, status = render_error(error.code or 500)
        response = app.make_response((response_body, status))
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _l(
                "This form has expired or was sent from somewhere else. "
                "Reload the page, then send it again."
            ),
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error):
        log.error("database unavailable: %s", type(error).__name__)
        db.session.rollback()
        _forget_user()
        return render_error(503)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        if error.connection_invalidated:
            return database_unavailable(error)
        return internal_error(error)

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def internal_error(error):
        original = getattr(error, "original_exception", None) or error
        if isinstance(original, OperationalError | PoolTimeoutError):
            return database_unavailable(original)
        log.exception("unhandled error", exc_info=original)
        try:
            db.session.rollback()
        except Exception:  # the session may be unusable too; the page must still render
            log.exception("rollback failed")
        _forget_user()
        return render_error(500)
