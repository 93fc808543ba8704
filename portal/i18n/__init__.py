"""English and French: choosing the language of each request, and the visible switcher."""

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user

from portal.access import Access, access
from portal.auth.services import set_language
from portal.extensions import db
from portal.zones import zone_of

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The signed-in user's preference, else the switcher's choice, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("language") in languages:
        return session["language"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    """The signed-in user's time zone (members' is set from their province at referral)."""
    if current_user and current_user.is_authenticated:
        return zone_of(current_user)
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@bp.route("/language", methods=["POST"])
@access(Access.PUBLIC)
def switch_language():
    from portal.urls import safe_next

    language = request.form.get("language")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated:
            set_language(current_user, language)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))
