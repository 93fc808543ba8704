"""Fixtures for the administration tests: an admin, and test clients signed in as anyone."""

import pytest


@pytest.fixture
def client_for(app, login):
    """`client_for(user)`: a test client of its own, signed in as `user`."""

    def make(user):
        test_client = app.test_client()
        login(user, test_client=test_client)
        return test_client

    return make


@pytest.fixture
def admin(make_admin):
    return make_admin(name="Ada Admin", email="ada.admin@example.org")


@pytest.fixture
def admin_client(admin, client_for):
    return client_for(admin)
