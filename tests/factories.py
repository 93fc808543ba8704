"""Factory fixtures: `make_user`, `make_member`, `make_staff`, `make_case`, and `login`."""

from __future__ import annotations

import itertools

import pytest

from portal.auth.models import Role, User
from portal.auth.services import create_user
from portal.cases.models import Case, MemberProfile, Stage
from portal.extensions import db

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


@pytest.fixture
def make_user(app):
    def make(
        role: Role = Role.MEMBER,
        *,
        email=None,
        name=None,
        password=PASSWORD,
        language="en",
        active=True,
    ) -> User:
        n = next(_sequence)
        user = create_user(
            email=email or f"{role.value}{n}@example.org",
            name=name or f"{role.value.title()} {n}",
            role=role,
            password=password,
            language=language,
        )
        user.active = active
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_staff(make_user):
    def make(**kwargs) -> User:
        return make_user(Role.STAFF, **kwargs)

    return make


@pytest.fixture
def make_admin(make_user):
    def make(**kwargs) -> User:
        return make_user(Role.ADMIN, **kwargs)

    return make


@pytest.fixture
def make_case(make_user, make_staff):
    def make(
        *, member: User | None = None, lead: User | None = None, stage: Stage = Stage.REFERRED
    ) -> Case:
        member = member or make_user(Role.MEMBER)
        lead = lead or make_staff()
        db.session.add(
            MemberProfile(
                user_id=member.id,
                member_number=f"T-{member.id:06d}",
                specialty="Family medicine",
                province="ON",
            )
        )
        case = Case(
            member_id=member.id, lead_advisor_id=lead.id, referral_reason="Test", stage=stage
        )
        db.session.add(case)
        db.session.commit()
        return case

    return make


@pytest.fixture
def make_member(make_user):
    def make(**kwargs) -> User:
        return make_user(Role.MEMBER, **kwargs)

    return make


@pytest.fixture
def login(client):
    """`login(user)` signs `user` in through the real form; returns the response."""

    def sign_in(user: User, password: str = PASSWORD, *, test_client=None):
        test_client = test_client or client
        response = test_client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.data[:500]
        return response

    return sign_in
