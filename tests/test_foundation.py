"""The foundation: landing pages, role checks, sign-in throttling, session timeouts, health,
the API schema and production settings (issue 2; the demo seed: tests/demo/)."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ivig.accounts.middleware import SESSION_STARTED_AT_KEY
from ivig.accounts.roles import GROUP_NAMES, LANDING_URL_NAMES, Role
from ivig.audit.models import AccessLog
from ivig.audit.services import access_record

from .conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def test_role_groups_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(GROUP_NAMES.values())


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_page(role, users_by_role, client_for):
    client = client_for(users_by_role[role])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(LANDING_URL_NAMES[role])
    landing = client.get(response["Location"])
    assert landing.status_code == 200
    assert b'data-testid="landing"' in landing.content


# Work pages that belong to one role only. The nurses' schedule and the orders list are not
# among them: every role reads them (docs/clinical-rules.md 1, 6), only their owners change them.
ROLE_ONLY_PAGES = {
    Role.CLINICIAN: "orders:order-create",
    Role.PHARMACIST: "orders:verification-queue",
    Role.AUTHORIZATION_ADMIN: "authorizations:authorizations",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_the_other_roles_pages(role, users_by_role, client_for):
    client = client_for(users_by_role[role])
    for owner, url_name in ROLE_ONLY_PAGES.items():
        expected = 200 if owner is role else 403
        assert client.get(reverse(url_name)).status_code == expected, (role, url_name)


def test_anonymous_user_is_sent_to_sign_in():
    response = Client().get(reverse("orders:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_user_without_role_gets_an_explanation_not_a_page(make_user, client_for):
    response = client_for(make_user("no-role")).get("/")
    assert response.status_code == 403
    assert b"No role yet" in response.content


def test_navigation_shows_only_the_roles_links(users_by_role, client_for):
    page = client_for(users_by_role[Role.NURSE]).get(reverse("infusions:schedule")).content
    assert b">Schedule<" in page
    assert b"Verification queue" not in page
    assert b"Authorizations" not in page


def test_sign_in_with_the_form_then_sign_out(clinician):
    client = Client()
    response = client.post(LOGIN_URL, {"username": "dr-test", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    client.post(reverse("logout"))
    assert client.get(reverse("orders:home"))["Location"].startswith(LOGIN_URL)


def _failed_login(username: str, ip: str) -> int:
    response = Client(REMOTE_ADDR=ip).post(LOGIN_URL, {"username": username, "password": "wrong"})
    return response.status_code


def _login(username: str, ip: str) -> int:
    response = Client(REMOTE_ADDR=ip).post(
        LOGIN_URL, {"username": username, "password": TEST_PASSWORD}
    )
    return response.status_code


def test_failed_sign_ins_are_throttled_per_user_and_address(make_user):
    make_user("alice")
    make_user("bob")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _failed_login("alice", "10.0.0.1") == 200  # the form again, with its error
    assert _failed_login("alice", "10.0.0.1") == 429
    # Locked: even the right password from that address is refused during the cool-off ...
    assert _login("alice", "10.0.0.1") == 429
    # ... but the same user elsewhere, and everyone else behind the same address, still sign in.
    assert _login("alice", "10.0.0.2") == 302
    assert _login("bob", "10.0.0.1") == 302


def test_throttling_ends_after_the_cool_off(make_user):
    make_user("carol")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _failed_login("carol", "10.0.0.9")
    assert _login("carol", "10.0.0.9") == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert _login("carol", "10.0.0.9") == 302


def _clock_at(seconds_from_now: float):
    """Moves the clock both session timeouts read (ivig/accounts/middleware.py)."""
    return mock.patch("ivig.accounts.middleware.now", return_value=time.time() + seconds_from_now)


def test_idle_timeout_is_renewed_by_each_request(clinician, client_for):
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    client = client_for(clinician)
    client.get(reverse("orders:home"))
    session = client.session
    remaining = session.get_expiry_age()
    assert 14 * 60 < remaining <= 15 * 60


def test_idle_session_expires(clinician, client_for):
    client = client_for(clinician)
    assert client.get(reverse("orders:home")).status_code == 200
    with _clock_at(settings.SESSION_COOKIE_AGE + 1):
        response = client.get(reverse("orders:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert client.get(reverse("orders:home")).status_code == 302  # really signed out


def test_idle_session_expires_with_its_stored_copy(clinician, client_for):
    """The store's own expiry (Redis TTL or ``expire_date``) is a backstop: a session the store
    has expired is gone, wherever sessions are stored."""
    client = client_for(clinician)
    assert client.get(reverse("orders:home")).status_code == 200
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get(reverse("orders:home"))["Location"].startswith(LOGIN_URL)


def test_activity_within_the_idle_timeout_keeps_the_session(clinician, client_for):
    client = client_for(clinician)
    idle = settings.SESSION_COOKIE_AGE
    for seconds in (0, idle - 30, 2 * idle - 60, 3 * idle - 90):
        with _clock_at(seconds):
            assert client.get(reverse("orders:home")).status_code == 200, seconds


def test_idle_time_is_counted_from_the_last_renewal_never_later(clinician, client_for):
    """Requests within ``SESSION_IDLE_RENEWAL_SECONDS`` do not move the idle clock: the session
    ends at most the idle timeout after the last request, never later."""
    client = client_for(clinician)
    renewal = settings.SESSION_IDLE_RENEWAL_SECONDS
    with _clock_at(0):
        assert client.get(reverse("orders:home")).status_code == 200
    with _clock_at(renewal - 1):
        assert client.get(reverse("orders:home")).status_code == 200
    with _clock_at(settings.SESSION_COOKIE_AGE + 1):
        assert client.get(reverse("orders:home")).status_code == 302


def test_absolute_timeout_ends_an_active_session(clinician, client_for):
    client = client_for(clinician)
    assert client.get(reverse("orders:home")).status_code == 200
    session = client.session
    session[SESSION_STARTED_AT_KEY] = time.time() - settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS - 1
    session.save()
    response = client.get(reverse("orders:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert client.get(reverse("orders:home")).status_code == 302  # really signed out


def test_absolute_timeout_does_not_end_a_young_session(clinician, client_for):
    client = client_for(clinician)
    client.get(reverse("orders:home"))
    session = client.session
    session[SESSION_STARTED_AT_KEY] = time.time() - settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS + 60
    session.save()
    assert client.get(reverse("orders:home")).status_code == 200


def _staff_client(make_user, client_for):
    staff = make_user("ops-staff")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    return client_for(staff)


def test_healthz_reports_a_healthy_database(make_user, client_for):
    response = _staff_client(make_user, client_for).get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_tells_anonymous_callers_only_ok_or_degraded(clinician, client_for):
    """Database, broker and outbox are for staff: an anonymous or non-staff caller learns the
    state only (issue 22)."""
    for client in (Client(), client_for(clinician)):
        answer = client.get("/healthz")
        assert answer.status_code == 200
        assert answer.json() in ({"status": "ok"}, {"status": "degraded"})
    with mock.patch("ivig.web.health.connection.cursor", side_effect=OperationalError("down")):
        down = Client().get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "degraded"}


def test_healthz_reports_a_broken_database_as_unhealthy(make_user, client_for):
    client = _staff_client(make_user, client_for)
    with mock.patch("ivig.web.health.database_is_healthy", return_value=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {**response.json(), "status": "unhealthy", "database": "unavailable"}


def test_openapi_schema_and_docs_are_served_to_signed_in_users(clinician, client_for):
    client = client_for(clinician)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_api_refuses_anonymous_and_accepts_token(clinician):
    from rest_framework.authtoken.models import Token

    assert Client().get("/api/v1/me/").status_code in (401, 403)
    token = Token.objects.create(user=clinician)
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json() == {"username": "dr-test", "roles": ["clinician"]}


def test_access_is_logged(clinician, rf):
    request = rf.get("/orders/42/")
    request.user = clinician
    access_record(request, clinician)
    entry = AccessLog.objects.get()
    assert (entry.user, entry.subject_type, entry.subject_id) == (
        clinician,
        "accounts.user",
        str(clinician.pk),
    )
    assert entry.path == "/orders/42/"


def _run_check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests in this process, never in deployment.
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _run_check_deploy(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x7#kq2!vL9pZ@w4Rt8mN$b3Yc6Hj1Fd5Gs0Ae-Uo_Ii+Ee=Rr*Tt&Yy(Uu)Ii",
            "ALLOWED_HOSTS": "ivig.example.org",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_browsable_api_is_off_in_production():
    """Production answers JSON only (issue 22); the laptop keeps the browsable pages."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    production = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x7#kq2!vL9pZ@w4Rt8mN$b3Yc6Hj1Fd5Gs0Ae-Uo_Ii+Ee=Rr*Tt&Yy(Uu)Ii",
        "ALLOWED_HOSTS": "ivig.example.org",
        "DJANGO_SETTINGS_MODULE": "ivig.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, **production},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "JSONRenderer" in result.stdout and "BrowsableAPIRenderer" not in result.stdout
    assert "BrowsableAPIRenderer" in str(settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"])


def test_production_settings_demand_a_secret_key_and_hosts():
    result = _run_check_deploy({"DJANGO_ENV": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "ALLOWED_HOSTS" in result.stderr


def test_development_settings_fail_check_deploy():
    """The check is not vacuous: the laptop defaults are rightly not deployable."""
    assert _run_check_deploy({}).returncode != 0
