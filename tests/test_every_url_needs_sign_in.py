"""Every page and endpoint refuses an anonymous caller (docs/clinical-rules.md 1: every view checks
the role).

The list of URLs comes from the URL resolver itself, so a view added later without a check
fails here. The few public URLs are named, with the reason.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# Public on purpose: signing in, the health probe, and the calendar feeds (their secret token
# in the address is the authentication; a wrong token is a 404).
PUBLIC = {
    "accounts/login/",
    "accounts/logout/",
    "healthz",
    "favicon.ico",  # a redirect to the static icon
    "fhir/R4/metadata",  # the FHIR CapabilityStatement: what the server supports, no data
}
TOKEN_AUTHENTICATED = re.compile(r"^infusions/calendar/x/")


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue  # Django's admin: staff only, its own tests
            found.extend(_patterns(entry, route))
        elif isinstance(entry, URLPattern):
            found.append(route)
    return found


def _concrete(route: str) -> str | None:
    """A real address for a route (ids 1, slug privigen, other words x); None for the format
    suffix variants DRF adds (``.json``)."""
    if "format" in route:
        return None
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<slug:\w+>", "privigen", route)
    route = re.sub(r"<(str:)?\w+>", "x", route)
    return "/" + route


ALL_ROUTES = {path for route in _patterns(get_resolver()) if (path := _concrete(route))}
ROUTES = sorted(path for path in ALL_ROUTES if path.lstrip("/") not in PUBLIC)


def test_the_url_list_is_complete():
    assert {f"/{route}" for route in PUBLIC} <= ALL_ROUTES
    assert len(ROUTES) > 40
    assert "/api/v1/dose-plans/" in ROUTES


@pytest.mark.django_db
@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_callers_are_refused(path):
    route = path.lstrip("/")
    assert "(" not in route and "<" not in route, f"not made concrete: {path}"
    client = Client()
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if TOKEN_AUTHENTICATED.match(route):
            assert response.status_code == 404, (method, path)
        else:
            assert response.status_code in (302, 401, 403, 404, 405), (method, path)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), (method, path)
            assert response.status_code != 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", [path for path in ROUTES if not path.startswith("/api/v1/") and path != "/api/schema/"]
)
def test_anonymous_visitors_to_a_page_get_the_sign_in_page_not_a_403(path):
    """A person who is not signed in is sent to sign in (the API answers machines: 401/403)."""
    if TOKEN_AUTHENTICATED.match(path.lstrip("/")):
        return
    response = Client().get(path)
    assert response.status_code != 403, path
