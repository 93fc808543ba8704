"""Fixtures for the administration tests: an admin, and test clients signed in as anyone."""

import pytest


@pytest.fixture
def admin(make_admin):
    return make_admin(name="Ada Admin", email="ada.admin@example.org")


@pytest.fixture
def admin_client(admin, client_for):
    return client_for(admin)
