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
