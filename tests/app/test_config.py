import pytest
import sqlalchemy as sa

from config import settings_from_environment
from portal import create_app
from portal.extensions import db


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="PORTAL_ENV"):
        create_app("staging")


def test_documented_variables_are_read_from_the_environment():
    settings = settings_from_environment(
        {
            "DATABASE_URL": "postgres://u:p@db.example:5432/msp",
            "SECRET_KEY": "s",
            "PORT": "8080",
            "MAIL_SERVER": "smtp.example",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "true",
            "MAIL_USERNAME": "portal",
            "MAIL_PASSWORD": "pw",
            "MAIL_DEFAULT_SENDER": "MSP <msp@example.org>",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "PORTAL_BASE_URL": "https://msp.example.org",
        }
    )
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example:5432/msp"
    assert settings["PORT"] == 8080 and settings["MAIL_PORT"] == 587
    assert settings["MAIL_USE_TLS"] is True
    assert settings["PORTAL_BASE_URL"] == "https://msp.example.org"
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"


def test_port_alone_sets_the_base_url_for_links():
    assert settings_from_environment({"PORT": "5050"})["PORTAL_BASE_URL"] == "http://127.0.0.1:5050"


def test_postgresql_connections_run_without_the_jit_compiler(app):
    # It added up to half a second to single report statements at full size (docs/performance.md).
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
