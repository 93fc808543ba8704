from portal import create_app


def test_every_page_sends_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_authenticated_pages_are_not_cached(client, make_member, login):
    login(make_member())
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_lax(client, make_member, login):
    response = login(make_member())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_sets_hsts_and_secure_host_only_cookie(database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    response = app.test_client().get("/login", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_use_no_inline_script_or_style_and_no_third_party_hosts(client):
    html = client.get("/login").text
    assert "<script" not in html
    assert "style=" not in html and "<style" not in html
    assert "//" not in html.replace("http://www.w3.org", "").split("<body", 1)[0].replace(
        "<!doctype html>", ""
    )
