from portal.audit.models import AuditEvent
from portal.auth.models import UserSession
from portal.extensions import db
from tests.factories import PASSWORD


def test_member_signs_in_and_lands_on_dashboard(client, make_member, login):
    member = make_member()
    response = login(member)
    assert response.location == "/"
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/dashboard"
    assert "Your Member Support Program" in page.text


def test_staff_lands_on_case_list(client, make_staff, login):
    staff = make_staff()
    login(staff)
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/cases/"


def test_wrong_password_is_refused_and_audited(client, make_member):
    member = make_member()
    response = client.post("/login", data={"email": member.email, "password": "wrong password!"})
    assert response.status_code == 200
    assert "The email or password is not right." in response.text
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "auth.login")
    ).all()
    assert [e.outcome.value for e in events] == ["failure"]
    assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)) == 0


def test_logout_is_post_only_and_ends_the_session_for_a_copied_cookie(
    app, client, make_member, login
):
    member = make_member()
    login(member)
    assert client.get("/dashboard").status_code == 200
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302

    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = replay.get("/dashboard")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "auth.logout" in actions


def test_signing_out_keeps_the_language_the_person_was_reading_in(client, make_member, login):
    login(make_member(language="fr"))
    client.post("/logout")
    page = client.get("/login").text
    assert '<html lang="fr"' in page and "Votre session est fermée." in page


def test_next_parameter_never_leaves_the_site(client, make_member):
    member = make_member()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            "/login?next=" + target, data={"email": member.email, "password": PASSWORD}
        )
        assert response.location == "/"
        client.post("/logout")


def test_next_parameter_returns_to_the_page_asked_for(client, make_member):
    member = make_member()
    first = client.get("/dashboard")
    assert first.location == "/login?next=/dashboard"
    response = client.post(first.location, data={"email": member.email, "password": PASSWORD})
    assert response.location == "/dashboard"


def test_email_is_case_insensitive(client, make_member):
    member = make_member(email="Someone@Example.test")
    assert member.email == "someone@example.test"
    response = client.post("/login", data={"email": "SOMEONE@example.TEST", "password": PASSWORD})
    assert response.status_code == 302


def test_deactivated_account_cannot_sign_in_and_loses_its_sessions(app, client, make_member, login):
    from portal.auth.services import set_active

    member = make_member()
    login(member)
    set_active(member, False)
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert "This account is not active" in response.text
    sessions = db.session.scalars(db.select(UserSession)).all()
    assert all(s.ended_at is not None and s.end_reason == "deactivated" for s in sessions)


def test_sign_in_page_has_no_remember_me(client):
    page = client.get("/login").text
    assert "remember" not in page.lower()


def test_standard_hashing_is_owasp_argon2id_and_older_hashes_are_replaced_at_sign_in(
    app, client, make_member
):
    """Production hashes with OWASP's argon2id configuration (19 MiB, two passes, one lane), which
    keeps a gunicorn worker under 150 MB; a hash made with other parameters (argon2-cffi's 64 MiB
    default, or the tests' cheap one) still signs in and is replaced by a standard one."""
    from argon2 import PasswordHasher, extract_parameters

    from portal.auth.passwords import HASHERS

    standard = extract_parameters(HASHERS["standard"].hash("a long enough password"))
    assert (standard.type.name, standard.memory_cost, standard.time_cost, standard.parallelism) == (
        "ID",
        19 * 1024,
        2,
        1,
    )
    member = make_member()
    member.password_hash = PasswordHasher().hash(PASSWORD)  # the 64 MiB default of earlier releases
    db.session.commit()
    app.config["PASSWORD_HASHING"] = "standard"
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(member)
    kept = extract_parameters(member.password_hash)
    assert (kept.memory_cost, kept.time_cost, kept.parallelism) == (19 * 1024, 2, 1)
