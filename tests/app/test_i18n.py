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
