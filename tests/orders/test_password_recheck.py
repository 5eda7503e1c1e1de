"""Signing's password re-entry is throttled like sign-in (docs/clinical-rules.md 4): per user
and address, a cool-off after the limit, never for good, never a whole proxy."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ivig.accounts.recheck import PasswordRecheckCoolingOff, _key, password_recheck
from orders.models import OrderStatus

from ..conftest import TEST_PASSWORD
from .test_order_api import detail, sign_body

pytestmark = pytest.mark.django_db


def _sign(client: Client, order, password: str, address: str = "10.0.0.1"):
    return client.post(
        detail(order, "sign"),
        sign_body(order, password=password),
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_the_api_cools_off_after_the_limit_even_for_the_right_password(
    clinician, client_for, draft, settings
):
    client = client_for(clinician)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _sign(client, draft, "wrong").json()["code"] == "wrong_password"
    refused = _sign(client, draft, TEST_PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert refused.json()["code"] == "password_cooling_off"
    assert "password" in refused.json()["field_errors"]
    draft.refresh_from_db()
    assert draft.status == OrderStatus.DRAFT
    # Another address (another computer behind no shared lock) may still sign.
    assert _sign(client, draft, TEST_PASSWORD, address="10.0.0.2").status_code == 200


def test_the_cool_off_ends(clinician, rf, settings):
    request = rf.post("/", REMOTE_ADDR="10.0.0.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert password_recheck(clinician, "wrong", request) is False
    with pytest.raises(PasswordRecheckCoolingOff):
        password_recheck(clinician, TEST_PASSWORD, request)
    # The cool-off is a cache expiry: once the key is gone the right password works again.
    cache.delete(_key(clinician, request))
    assert password_recheck(clinician, TEST_PASSWORD, request) is True


def test_one_users_typos_never_lock_another_user_behind_the_same_address(
    clinician, make_user, rf, settings
):
    colleague = make_user("dr-other")
    request = rf.post("/", REMOTE_ADDR="10.0.0.3")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_recheck(clinician, "wrong", request)
    assert password_recheck(colleague, TEST_PASSWORD, request) is True


def test_a_right_password_resets_the_count(clinician, rf, settings):
    request = rf.post("/", REMOTE_ADDR="10.0.0.4")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_recheck(clinician, "wrong", request)
    assert password_recheck(clinician, TEST_PASSWORD, request) is True
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_recheck(clinician, "wrong", request)
    assert password_recheck(clinician, TEST_PASSWORD, request) is True


def test_the_cool_off_runs_from_the_last_failure(clinician, rf, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=7)
    request = rf.post("/", REMOTE_ADDR="10.0.0.5")
    with mock.patch.object(cache, "touch", wraps=cache.touch) as touch:
        password_recheck(clinician, "wrong", request)
    assert touch.call_args.args[1] == 7 * 60


def test_the_signing_page_cools_off_too(clinician, client_for, draft, settings):
    client = client_for(clinician)
    url = reverse("orders:order-sign", args=[draft.pk])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"password": "wrong", "version": draft.version})
    page = client.post(url, {"password": TEST_PASSWORD, "version": draft.version})
    assert "Too many wrong passwords" in page.content.decode()
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    draft.refresh_from_db()
    assert draft.status == OrderStatus.DRAFT
