"""English and French: choosing the language of each request, and the visible switcher."""

from babel.support import NullTranslations
from flask import Blueprint, Flask, current_app, g, redirect, request, session, url_for
from flask_babel import get_translations
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


def current_translations() -> NullTranslations:
    """The request's catalog, looked up once per locale rather than on every string.

    Flask-Babel's own template callables resolve the domain, the locale and its cache key for each
    `_()` in a template: a page with a table spent 2–3 ms of its time there. The catalog is kept
    on Flask-Babel's per-request state next to the locale it was chosen for, so `force_locale`
    (emails in the recipient's language) still gets its own catalog.
    """
    state = g.get("_flask_babel")
    cached = getattr(state, "portal_translations", None)
    if cached is not None and cached[0] is getattr(state, "babel_locale", None):
        return cached[1]
    translations = get_translations()  # chooses the locale and fills the state if needed
    state = g.get("_flask_babel")
    if state is not None:
        state.portal_translations = (getattr(state, "babel_locale", None), translations)
    return translations


def install_template_gettext(app: Flask) -> None:
    """Templates' `_()`, `ngettext()`… through `current_translations` (newstyle, autoescaped)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: current_translations().ugettext(string),
        ngettext=lambda singular, plural, n: current_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: current_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: current_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )


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
