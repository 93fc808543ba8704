"""Configuration, read from environment variables.

`PORTAL_ENV` picks the class (development, testing, production). Nothing secret has a default in
production: `create_app` refuses to start without a `SECRET_KEY` there.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    # Hosting platforms still hand out the pre-SQLAlchemy-1.4 scheme; psycopg 3 is our driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    """Defaults shared by every environment. Values from the environment are applied on top by
    `settings_from_environment`, read when the app is created rather than at import time."""

    PORTAL_ENV = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'portal.db'}"
    # hide_parameters: error messages and logs never carry the values of a statement (message
    # bodies, reflections…), only its shape.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    PORT = 5000
    PORTAL_BASE_URL = "http://127.0.0.1:5000"

    # Email. The outbox worker sends through this relay; a request never talks SMTP itself.
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "MSP Portal <no-reply@msp-portal.example.org>"
    MAIL_TIMEOUT_SECONDS = 10
    MAIL_CAPTURE_DIR = str(INSTANCE_DIR / "mail")
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_RETRY_BASE_SECONDS = 30
    OUTBOX_POLL_SECONDS = 2.0
    OUTBOX_CLAIM_SECONDS = 120

    RATELIMIT_STORAGE_URI = "memory://"
    # Said outright: Flask-Limiter's one limiter otherwise keeps the last app's setting.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "20 per minute;200 per hour"
    # Per user (portal/ratelimits.py): messages and notes sent, and requests carrying files.
    MESSAGE_RATE_LIMIT = "10 per minute;100 per hour"
    UPLOAD_RATE_LIMIT = "20 per hour;100 per day"
    # Per member (portal/privacy): archives of all their data, each built from every stored file.
    PRIVACY_ARCHIVE_RATE_LIMIT = "5 per hour;20 per day"
    # Per user: requests to change the account's email address (each sends a confirmation link).
    EMAIL_CHANGE_RATE_LIMIT = "5 per hour;10 per day"
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT = timedelta(minutes=15)

    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "msp_session"
    SESSION_REFRESH_EACH_REQUEST = False

    PASSWORD_HASHING = "standard"
    INVITATION_VALIDITY = timedelta(days=7)
    PASSWORD_RESET_VALIDITY = timedelta(hours=1)
    EMAIL_CHANGE_VALIDITY = timedelta(hours=24)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own limits

    # Uploads (portal/uploads): checked by content, stored outside static/ under random names.
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    UPLOAD_MAX_FILES = 5
    # A request may carry a message with its five largest attachments, plus the form around them.
    MAX_CONTENT_LENGTH = UPLOAD_MAX_FILES * UPLOAD_MAX_BYTES + 1024 * 1024

    # Secure messaging and the notifications it sends.
    MESSAGING_RESPONSE_BUSINESS_DAYS = 2
    MESSAGING_URGENT_PHONE = "1-800-555-0199"  # the MSP team's line for urgent matters
    NOTIFICATION_BATCH_WINDOW = timedelta(minutes=15)
    NOTIFICATION_DIGEST_HOUR = 7  # local time (BABEL_DEFAULT_TIMEZONE) the daily digest goes out
    NOTIFICATION_JOBS_INTERVAL_SECONDS = 60  # how often the outbox worker runs the jobs

    # Educational activities (portal/activities).
    ACTIVITY_REMINDERS_INTERVAL_SECONDS = 3600  # how often the outbox worker sends reminders
    # A Unicode TrueType font for the PDF completion summary (Debian: fonts-dejavu-core).
    ACTIVITY_PDF_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    ACTIVITY_PDF_BOLD_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

    # Roles that must sign in with a second factor (portal/twofactor); members may choose to.
    TWO_FACTOR_REQUIRED_ROLES: tuple[str, ...] = ("staff", "admin")
    # The development demo's staff and admin accounts use this published TOTP secret.
    DEMO_TOTP_SECRET = "MSPDEMO2STAFF3SECRET4FOR5TOTP6AB"

    # Ongoing support (portal/checkins, portal/cases).
    CASE_NO_CONTACT_WEEKS = 8  # a case without contact for this long is flagged on the caseload
    CHECKIN_REMINDER_HOURS = 24  # reminders go out this long before a check-in
    CHECKIN_JOBS_INTERVAL_SECONDS = 300  # how often the outbox worker sends check-in reminders
    BREAK_GLASS_HOURS = 8  # how long a stated reason opens a case the staff member is not on

    # The program report (portal/reports) withholds a figure drawn from fewer members than this.
    REPORT_MIN_MEMBERS = 5
    # ...and reads a period's figures from the last computation for this long (0: never).
    REPORT_MAX_AGE_MINUTES = 5

    # Identification (portal/identification): the register's screening.
    SCREENING_WINDOW_YEARS = 10  # the history compared with peers
    SCREENING_RECENT_YEARS = 3  # the recent part, for "rising" and the absolute floor
    SCREENING_FLOOR_TOTAL = 3  # flagged only with at least this many matters in the window...
    SCREENING_FLOOR_RECENT = 2  # ...or this many in the recent years
    SCREENING_RATIO = 2.0  # the queue ranks by P(true rate > this many times peers')...
    SCREENING_FLAG_PROBABILITY = 0.2  # ...flags from this probability ("worth a look")...
    SCREENING_PROBABILITY = 0.5  # ...and calls it "high" (probably over) from this one
    SCREENING_RISING_P = 0.01  # "rising": the recent share's exact binomial test below this
    SCREENING_QUEUE_SHARE = 0.01  # the queue's size, as a share of the membership
    SCREENING_INTERVAL_SECONDS = 24 * 3600  # the worker screens the register this often
    DEMO_REGISTER_MEMBERS = 2000  # the demo's synthetic register (`flask demo`)

    LANGUAGES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "America/Toronto"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "portal" / "translations")

    PORTAL_TRUSTED_PROXIES = 0  # reverse proxies in front of the app whose X-Forwarded-* to trust

    HSTS = False
    DEMO_ALLOWED = True


class DevelopmentConfig(Config):
    PORTAL_ENV = "development"
    REPORT_MIN_MEMBERS = 1  # the demo has three members: show its report in full


class TestingConfig(Config):
    PORTAL_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    WTF_CSRF_ENABLED = False
    DEMO_REGISTER_MEMBERS = 300  # the tests load the demo often: a smaller register, same shape
    RATELIMIT_STORAGE_URI = "memory://"
    PORTAL_BASE_URL = "http://portal.test"
    MAIL_TIMEOUT_SECONDS = 2
    OUTBOX_RETRY_BASE_SECONDS = 0
    PASSWORD_HASHING = "fast-for-tests"
    TWO_FACTOR_REQUIRED_ROLES = ()
    # Never the real instance/uploads; tests that upload point UPLOAD_DIR at their own tmp_path.
    UPLOAD_DIR = os.path.join(tempfile.gettempdir(), "msp-portal-test-uploads")


class ProductionConfig(Config):
    PORTAL_ENV = "production"
    SESSION_COOKIE_SECURE = True
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
    SESSION_COOKIE_NAME = "__Host-msp_session"
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    DEMO_ALLOWED = False


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for_env(name: str | None = None) -> type[Config]:
    name = (name or os.environ.get("PORTAL_ENV") or "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"PORTAL_ENV must be one of {', '.join(CONFIGS)}; got {name!r}"
        ) from None


def settings_from_environment(environ: dict[str, str] | None = None) -> dict:
    """The documented configuration variables that are set, converted to their types."""
    environ = os.environ if environ is None else environ
    settings: dict = {}
    for variable in (
        "SECRET_KEY",
        "PORTAL_BASE_URL",
        "MAIL_SERVER",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_DEFAULT_SENDER",
        "RATELIMIT_STORAGE_URI",
        "RATELIMIT_KEY_PREFIX",
        "UPLOAD_DIR",
        "MESSAGING_URGENT_PHONE",
    ):
        if environ.get(variable):
            settings[variable] = environ[variable]
    if environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    for variable in (
        "PORT",
        "MAIL_PORT",
        "PORTAL_TRUSTED_PROXIES",
        "MESSAGING_RESPONSE_BUSINESS_DAYS",
        "CASE_NO_CONTACT_WEEKS",
        "REPORT_MIN_MEMBERS",
        "REPORT_MAX_AGE_MINUTES",
        "SCREENING_WINDOW_YEARS",
        "SCREENING_RECENT_YEARS",
        "SCREENING_FLOOR_TOTAL",
        "SCREENING_FLOOR_RECENT",
        "SCREENING_INTERVAL_SECONDS",
    ):
        if environ.get(variable):
            settings[variable] = int(environ[variable])
    for variable in (
        "SCREENING_RATIO",
        "SCREENING_FLAG_PROBABILITY",
        "SCREENING_PROBABILITY",
        "SCREENING_RISING_P",
        "SCREENING_QUEUE_SHARE",
    ):
        if environ.get(variable):
            settings[variable] = float(environ[variable])
    if environ.get("MAIL_USE_TLS"):
        settings["MAIL_USE_TLS"] = _bool(environ["MAIL_USE_TLS"])
    if "PORT" in settings and "PORTAL_BASE_URL" not in settings:
        settings["PORTAL_BASE_URL"] = f"http://127.0.0.1:{settings['PORT']}"
    return settings
