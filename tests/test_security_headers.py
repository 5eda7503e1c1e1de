"""Production protections: CSP, no-store, a strong SECRET_KEY (docs/clinical-rules.md 1)."""

import re

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from ivig.settings import weak_secret_key_reason
from ivig.web.middleware import NoStoreMiddleware
from tests.test_foundation import _run_check_deploy

pytestmark = pytest.mark.django_db

STRONG_KEY = "x7#kq2!vL9pZ@w4Rt8mN$b3Yc6Hj1Fd5Gs0Ae-Uo_Ii+Ee=Rr*Tt&Yy(Uu)Ii"


def _csp(response: HttpResponse) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split(" ", 1)[1]
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_pages_and_api_carry_a_csp_without_inline_scripts(clinician, client_for):
    client = client_for(clinician)
    for path in ("/orders/", "/api/v1/me/", "/accounts/login/"):
        policy = _csp(client.get(path))
        assert policy["script-src"] == "'self'", path
        assert "unsafe-inline" not in policy["script-src"]
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"


def test_the_api_docs_page_has_no_inline_script(clinician, client_for):
    page = client_for(clinician).get("/api/docs/").content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []


def test_every_answer_but_static_files_is_no_store(clinician, client_for):
    client = client_for(clinician)
    for path in ("/orders/", "/api/v1/me/", "/healthz", "/accounts/login/", "/no-such-page/"):
        assert "no-store" in client.get(path)["Cache-Control"], path
    assert "no-store" in Client().get("/orders/")["Cache-Control"]  # the redirect to sign in
    static = NoStoreMiddleware(lambda request: HttpResponse("css"))(
        RequestFactory().get("/static/css/app.css")
    )
    assert "Cache-Control" not in static


@pytest.mark.parametrize(
    "key",
    [
        "django-insecure-" + "k" * 60,
        "dev-only-insecure-key-never-used-in-production-ivig-0123456789",
        "short-but-random-9f8e7d",
        "ab" * 40,
    ],
)
def test_weak_secret_keys_are_named(key):
    assert weak_secret_key_reason(key)


def test_a_strong_secret_key_passes():
    assert weak_secret_key_reason(STRONG_KEY) is None


@pytest.mark.parametrize("key", ["django-insecure-" + "q1w2e3r4t5" * 6, "changeme", "a" * 64])
def test_production_refuses_to_start_with_a_weak_secret_key(key):
    result = _run_check_deploy(
        {"DJANGO_ENV": "production", "SECRET_KEY": key, "ALLOWED_HOSTS": "ivig.example.org"}
    )
    assert result.returncode != 0
    assert "refuses this SECRET_KEY" in result.stderr
    assert key not in result.stderr  # the key itself is never printed
