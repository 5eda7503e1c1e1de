"""The demo users (docs/clinical-rules.md 9): ``seed_demo`` (what ``make run`` runs) makes one per
role, only when DEBUG, idempotently; each lands on their role's page."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from demo.seeding.users import DEMO_PASSWORD, DEMO_USERS
from ivig.accounts.models import User
from ivig.accounts.roles import LANDING_URL_NAMES

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def test_seed_demo_is_idempotent_and_demo_users_land_on_their_pages(settings):
    settings.DEBUG = True  # pytest-django runs tests with DEBUG off
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(username__in=DEMO_USERS).count() == len(DEMO_USERS)
    for username, (role, _first, _last) in DEMO_USERS.items():
        client = Client()
        signed_in = client.post(LOGIN_URL, {"username": username, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 302, signed_in.content
        assert client.get("/")["Location"] == reverse(LANDING_URL_NAMES[role])


def test_seed_demo_creates_no_demo_users_without_debug(settings):
    settings.DEBUG = False
    call_command("seed_demo")
    assert not User.objects.filter(username__in=DEMO_USERS).exists()
