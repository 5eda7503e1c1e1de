"""Shared fixtures: users per role, signed-in clients, and the services policy.

On a laptop the suite runs on SQLite without Redis or Chromium, skipping what needs them with a
reason. With ``IVIG_REQUIRE_SERVICES=1`` (CI) a missing service fails the run instead.
"""

import os
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role

REQUIRE_SERVICES = os.environ.get("IVIG_REQUIRE_SERVICES") == "1"
TEST_PASSWORD = "a-long-test-password-2026"


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"IVIG_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("IVIG_REQUIRE_SERVICES=1 needs DATABASE_URL=postgres://…")
    if REQUIRE_SERVICES and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("IVIG_REQUIRE_SERVICES=1 needs REDIS_URL=redis://…")


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, *roles: Role, password: str = TEST_PASSWORD) -> User:
        user = User.objects.create_user(username=username, password=password)
        for role in roles:
            group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
            user.groups.add(group)
        return user

    return make


@pytest.fixture
def clinician(make_user: Callable[..., User]) -> User:
    return make_user("dr-test", Role.CLINICIAN)


@pytest.fixture
def pharmacist(make_user: Callable[..., User]) -> User:
    return make_user("pharm-test", Role.PHARMACIST)


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user("nurse-test", Role.NURSE)


@pytest.fixture
def authadmin(make_user: Callable[..., User]) -> User:
    return make_user("auth-test", Role.AUTHORIZATION_ADMIN)


@pytest.fixture
def users_by_role(
    clinician: User, pharmacist: User, nurse: User, authadmin: User
) -> dict[Role, User]:
    return {
        Role.CLINICIAN: clinician,
        Role.PHARMACIST: pharmacist,
        Role.NURSE: nurse,
        Role.AUTHORIZATION_ADMIN: authadmin,
    }


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A test client signed in as ``user`` (a fresh client per call)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
