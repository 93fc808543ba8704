"""English and French: the browser's language, the switcher, the user's preference, and a
French catalog that keeps up with the code."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from portal.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_browser_language_is_used_when_nothing_was_chosen(client):
    page = client.get("/login", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.text
    assert "Se connecter" in page.text
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "de"}).text


def test_switcher_changes_the_language_and_returns_to_the_page(client):
    response = client.post("/language", data={"language": "fr", "next": "/forgot-password"})
    assert response.location == "/forgot-password"
    assert '<html lang="fr">' in client.get("/forgot-password").text
    bad = client.post("/language", data={"language": "xx", "next": "https://evil.example/"})
    assert bad.location == "/"


def test_signed_in_users_preference_is_kept_on_their_account(client, make_member, login):
    member = make_member(language="en")
    login(member)
    client.post("/language", data={"language": "fr", "next": "/dashboard"})
    db.session.refresh(member)
    assert member.language == "fr"
    page = client.get("/dashboard", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in page.text


def test_error_pages_are_translated(client):
    page = client.get("/nowhere", headers={"Accept-Language": "fr"})
    assert page.status_code == 404 and '<html lang="fr">' in page.text
    assert "Page not found" not in page.text


def test_french_catalog_translates_every_string_in_the_code(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as source:
        expected = {m.id for m in read_po(source) if m.id}
    po_path = ROOT / "portal/translations/fr/LC_MESSAGES/messages.po"
    with po_path.open("rb") as source:
        catalog = read_po(source)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in expected - translated)
    assert not missing, f"untranslated in French (run `make extract-messages`): {missing}"


def test_templates_follow_a_forced_language_within_a_french_request(app):
    """Templates look their catalog up once per language (portal.i18n.current_translations): an
    email rendered in the recipient's language inside a French request is still in that language."""
    from flask import render_template_string
    from flask_babel import force_locale

    sign_in = "{{ _('Sign in') }}"
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string(sign_in) == "Se connecter"
        with force_locale("en"):
            assert render_template_string(sign_in) == "Sign in"
        assert render_template_string(sign_in) == "Se connecter"


def test_when_reads_as_flask_babel_would_in_each_language_and_zone(app):
    """`|when` parses its patterns once per language; the text is Flask-Babel's, to the minute,
    across daylight-saving changes."""
    from datetime import datetime, timedelta

    import flask_babel

    from portal.zones import when

    babel = flask_babel.get_babel(app)
    moments = [
        datetime(2025, 1, 1) + timedelta(hours=7 * step, minutes=step) for step in range(800)
    ]
    for language in ("en", "fr"):
        for zone in ("America/St_Johns", "America/Toronto", "America/Regina", "America/Vancouver"):
            with app.test_request_context("/", headers={"Accept-Language": language}):
                selector, babel.timezone_selector = babel.timezone_selector, lambda zone=zone: zone
                try:
                    flask_babel.refresh()
                    for moment in moments:
                        expected = (
                            f"{flask_babel.format_date(moment, 'medium')}, "
                            f"{flask_babel.format_time(moment, 'short')}"
                        )
                        assert when(moment) == expected
                finally:
                    babel.timezone_selector = selector


def test_in_zone_reads_as_babel_would_with_the_zone_abbreviation(app):
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    import flask_babel
    from babel.dates import format_date, format_time

    from portal.zones import in_zone

    moments = [datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=11 * step) for step in range(400)]
    for language in ("en", "fr"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            flask_babel.refresh()  # the test's app context outlives each request context
            for zone in ("America/St_Johns", "America/Regina", "America/Vancouver"):
                tzinfo = ZoneInfo(zone)
                for moment in moments:
                    local = moment.astimezone(tzinfo)
                    expected = (
                        f"{format_date(local, 'medium', locale=language)}, "
                        f"{format_time(local, 'short', tzinfo=tzinfo, locale=language)} "
                        f"{format_time(local, 'z', tzinfo=tzinfo, locale=language)}"
                    )
                    assert in_zone(moment, zone) == expected
