"""API tokens expire like sessions and are revoked with the user's access (issue 22):
idle and absolute lifetimes, deleted on deactivation and on a password change."""

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from ivig.accounts import middleware

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def call(token: Token) -> int:
    return Client().get(ME, HTTP_AUTHORIZATION=f"Token {token.key}").status_code


@pytest.fixture
def clock(monkeypatch):
    """The clock both timeouts read, moved by the test."""
    state = {"now": middleware.now()}
    monkeypatch.setattr(middleware, "now", lambda: state["now"])
    return state


def test_a_token_in_use_keeps_working(clinician, clock):
    token = Token.objects.create(user=clinician)
    for _ in range(3):
        assert call(token) == 200
        clock["now"] += settings.SESSION_COOKIE_AGE - 60  # used again before going idle


def test_an_idle_token_expires_and_is_deleted(clinician, clock):
    token = Token.objects.create(user=clinician)
    assert call(token) == 200
    clock["now"] += settings.SESSION_COOKIE_AGE + 1
    assert call(token) == 401
    assert not Token.objects.filter(user=clinician).exists()


def test_a_token_expires_at_the_absolute_lifetime_however_active(clinician, clock):
    token = Token.objects.create(user=clinician)
    used = 0.0
    while used + settings.SESSION_COOKIE_AGE / 2 < settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
        assert call(token) == 200
        clock["now"] += settings.SESSION_COOKIE_AGE / 2
        used += settings.SESSION_COOKIE_AGE / 2
    clock["now"] += settings.SESSION_COOKIE_AGE / 2 + 5  # past the absolute lifetime
    assert call(token) == 401


def test_deactivating_a_user_deletes_their_tokens(clinician):
    token = Token.objects.create(user=clinician)
    assert call(token) == 200
    clinician.is_active = False
    clinician.save()
    assert not Token.objects.filter(pk=token.pk).exists()
    assert call(token) == 401


def test_a_new_password_deletes_the_users_tokens(clinician, make_user):
    colleague = make_user("dr-colleague")
    token = Token.objects.create(user=clinician)
    kept = Token.objects.create(user=colleague)
    clinician.set_password("another-long-password-2026")
    clinician.save()
    assert call(token) == 401
    assert call(kept) == 200


def test_other_saves_keep_the_tokens(clinician):
    token = Token.objects.create(user=clinician)
    clinician.first_name = "Ada"
    clinician.save()
    clinician.save(update_fields=["last_login"])
    assert call(token) == 200
