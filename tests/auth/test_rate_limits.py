import pytest


@pytest.fixture
def app_overrides():
    return {"LOGIN_RATE_LIMIT": "3 per minute"}


def test_per_ip_rate_limit_answers_429_with_our_page(client):
    for n in range(3):
        client.post("/login", data={"email": f"a{n}@example.org", "password": "x" * 12})
    response = client.post("/login", data={"email": "b@example.org", "password": "x" * 12})
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert client.get("/login").status_code == 200  # reading the page is not limited


def test_guessing_the_current_password_is_rate_limited(client, make_member, login):
    member = make_member()
    login(member)  # one of the three allowed POSTs to /login; /account/password has its own
    wrong = {"current_password": "not it at all", "password": "x" * 20, "confirm": "x" * 20}
    for _ in range(3):
        assert client.post("/account/password", data=wrong).status_code == 200
    assert client.post("/account/password", data=wrong).status_code == 429
