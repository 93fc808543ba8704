"""The MSP Portal application factory."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from config import INSTANCE_DIR, config_for_env, settings_from_environment

BASE_DIR = Path(__file__).resolve().parent.parent


def create_app(env: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app for `env` (default: PORTAL_ENV), with environment variables applied and then
    `overrides` (used by the tests)."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    config_class = config_for_env(env)
    app.config.from_object(config_class)
    app.config.update(settings_from_environment())
    app.config.update(overrides or {})
    _ensure_secret_key(app)
    _configure_logging(app)
    _warn_about_local_rate_limits(app)
    if app.config.get("PORTAL_TRUSTED_PROXIES"):
        hops = int(app.config["PORTAL_TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    register_cli(app)
    from portal.logs import hide_link_tokens_in_access_logs

    hide_link_tokens_in_access_logs(app)  # needs the routes: their <token> parts are hidden
    return app


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["PORTAL_ENV"] != "development":
        raise RuntimeError(
            "SECRET_KEY is not set. Set it to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    # Development only: a random key kept in instance/ so sessions survive a restart.
    key_file = Path(app.instance_path) / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _warn_about_local_rate_limits(app: Flask) -> None:
    # gunicorn.conf.py refuses several workers on memory://; several servers it cannot see.
    storage = app.config["RATELIMIT_STORAGE_URI"]
    if app.config["PORTAL_ENV"] == "production" and storage.startswith("memory://"):
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: rate limits are counted in this process only. "
            "With several workers or app servers, set it to Redis."
        )


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _turn_off_postgres_jit(app: Flask) -> None:
    """PostgreSQL's JIT compiler costs more than it saves on the portal's short queries (measured
    at full size: 36 to 476 ms added to a single report statement), so our connections run
    without it."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("options", "-c jit=off")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}


def register_extensions(app: Flask) -> None:
    from portal.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from portal.i18n import install_template_gettext, select_locale, select_timezone

    _turn_off_postgres_jit(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side rows we check ourselves
    login_manager.login_view = "auth.login"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    _import_models()


def _import_models() -> None:
    """Every model module, so that Alembic and relationships see the whole schema."""
    from portal.activities import models as _activities  # noqa: F401
    from portal.assessment import models as _assessment  # noqa: F401
    from portal.audit import models as _audit  # noqa: F401
    from portal.auth import models as _auth  # noqa: F401
    from portal.cases import models as _cases  # noqa: F401
    from portal.checkins import models as _checkins  # noqa: F401
    from portal.identification import models as _identification  # noqa: F401
    from portal.messaging import models as _messaging  # noqa: F401
    from portal.notifications import models as _notifications  # noqa: F401
    from portal.outbox import models as _outbox  # noqa: F401
    from portal.plan import models as _plan  # noqa: F401
    from portal.reports import models as _reports  # noqa: F401
    from portal.twofactor import models as _twofactor  # noqa: F401
    from portal.uploads import models as _uploads  # noqa: F401


def _load_user(token: str):
    from portal.auth.services import SessionState, resume_session
    from portal.extensions import db
    from portal.transactions import commit_keeping_loaded

    state, user = resume_session(token)
    if db.session.dirty:
        commit_keeping_loaded()  # last-seen refresh or a timeout ending the session
    if state in (SessionState.IDLE, SessionState.EXPIRED):
        g.session_timed_out = state
    if user is None:
        session.pop("_user_id", None)
    return user


def _unauthorized():
    timed_out = g.get("session_timed_out")
    if timed_out is not None:
        from portal.auth.services import SessionState

        if timed_out is SessionState.IDLE:
            flash(
                _("You were signed out after 30 minutes without activity. Please sign in again."),
                "info",
            )
        else:
            flash(_("Your session reached its 12-hour limit. Please sign in again."), "info")
    else:
        flash(_("Please sign in to continue."), "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def register_blueprints(app: Flask) -> None:
    from portal.activities import bp as activities_bp
    from portal.admin import bp as admin_bp
    from portal.assessment import bp as assessment_bp
    from portal.auth import bp as auth_bp
    from portal.cases import bp as cases_bp
    from portal.checkins import bp as checkins_bp
    from portal.home import bp as home_bp
    from portal.i18n import bp as i18n_bp
    from portal.identification import bp as identification_bp
    from portal.messaging import bp as messaging_bp
    from portal.notifications import bp as notifications_bp
    from portal.plan import bp as plan_bp
    from portal.privacy import bp as privacy_bp
    from portal.reports import bp as reports_bp
    from portal.twofactor import bp as twofactor_bp

    for blueprint in (
        auth_bp,
        twofactor_bp,
        home_bp,
        cases_bp,
        identification_bp,
        checkins_bp,
        assessment_bp,
        plan_bp,
        activities_bp,
        messaging_bp,
        notifications_bp,
        privacy_bp,
        admin_bp,
        reports_bp,
        i18n_bp,
    ):
        app.register_blueprint(blueprint)


def register_hooks(app: Flask) -> None:
    from flask_babel import get_locale

    from portal.access import enforce_access
    from portal.errors import register_error_handlers
    from portal.security import register_security_headers
    from portal.zones import in_zone, when, zone_of

    app.before_request(enforce_access)
    register_error_handlers(app)
    register_security_headers(app)

    app.add_template_filter(in_zone, "in_zone")
    app.add_template_global(zone_of, "zone_of")
    app.add_template_filter(when, "when")

    @app.context_processor
    def template_globals():
        return {
            "current_language": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "languages": {"en": "English", "fr": "Français"},
        }


def register_cli(app: Flask) -> None:
    from portal.activities.cli import reminders_cli
    from portal.auth.cli import users_cli
    from portal.bench import bench_cli
    from portal.cases.cli import cases_cli
    from portal.demo import demo_command
    from portal.devserver import dev_cli
    from portal.identification.cli import identify_cli
    from portal.outbox.cli import outbox_cli

    for command in (
        users_cli,
        cases_cli,
        identify_cli,
        outbox_cli,
        reminders_cli,
        demo_command,
        dev_cli,
        bench_cli,
    ):
        app.cli.add_command(command)
