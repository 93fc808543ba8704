import sqlalchemy as sa

from portal import create_app
from portal.access import Access, access
from portal.audit.models import AuditEvent
from portal.extensions import db


def test_not_found_page_is_ours(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text and "Traceback" not in response.text


def test_forbidden_page_is_ours(client, make_member, login):
    login(make_member())
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text


def test_unexpected_error_gives_our_500_without_traceback(app, client):
    @app.get("/boom")
    @access(Access.PUBLIC)
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_too_large_request_gives_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/login", data={"email": "a@example.org", "password": "x" * 5000})
    assert response.status_code == 413
    assert "too large" in response.text


def test_csrf_failure_gives_a_clear_400_and_changes_nothing(app, client, make_member):
    app.config["WTF_CSRF_ENABLED"] = True
    member = make_member()
    response = client.post("/login", data={"email": member.email, "password": "x" * 12})
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_unreachable_database_gives_503(tmp_path):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        },
    )
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "stale")
    response = client.get("/login")
    assert response.status_code == 200  # the sign-in page itself needs no database
    response = client.post("/login", data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 503
    assert "temporarily unavailable" in response.text
    assert "Traceback" not in response.text
