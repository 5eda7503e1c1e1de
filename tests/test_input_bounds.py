"""Nothing bad gets in (docs/api.md, Errors): input that used to answer 500 answers 4xx."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ivig.api.parsers import MAX_DEPTH
from ivig.dates import InvalidDay, parse_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(clinician, client_for) -> Client:
    return client_for(clinician)


@pytest.mark.parametrize(
    "query",
    ["limit=1180591620717411303424", "limit=101", "limit=-1", "limit=x", "offset=99999999999"],
)
def test_pagination_out_of_bounds_is_a_400_with_the_field(api, query):
    response = api.get(f"/api/v1/patients/?{query}")
    assert response.status_code == 400, response.content
    assert set(response.json()["field_errors"]) & {"limit", "offset"}


def test_pagination_within_bounds_is_served(api):
    response = api.get("/api/v1/patients/?limit=100&offset=0")
    assert response.status_code == 200
    assert "results" in response.json()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000, 200_000])
def test_deep_json_is_a_400(api, depth):
    body = '{"mrn": ' + _nested(depth) + "}"
    response = api.post("/api/v1/patients/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]


def test_json_at_the_depth_limit_is_parsed():
    from io import BytesIO

    from ivig.api.parsers import SafeJSONParser

    data = SafeJSONParser().parse(BytesIO(_nested(MAX_DEPTH).encode()))
    assert isinstance(data, list)


def test_a_nul_in_a_json_string_is_a_400(api):
    body = json.dumps({"mrn": "A\x001", "given_name": "x"})
    response = api.post("/api/v1/patients/", body, content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/patients/?search=a%00b", "/orders/patients/?q=a%00"])
def test_a_nul_in_a_query_parameter_is_a_400(api, path):
    assert api.get(path).status_code == 400


def test_a_nul_in_a_form_field_is_a_400(api):
    response = api.post(reverse("orders:patient-create"), {"mrn": "A\x00", "family_name": "x"})
    assert response.status_code == 400


def test_a_body_over_one_megabyte_is_a_413_json_for_the_api(api):
    body = json.dumps({"mrn": "x" * (1024 * 1024 + 10)})
    response = api.post("/api/v1/patients/", body, content_type="application/json")
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "request_too_large"
    assert set(body) == {"code", "detail", "field_errors"}  # the one error shape (docs/api.md)


def test_a_body_over_one_megabyte_is_a_plain_413_page(api):
    response = api.post(
        reverse("orders:patient-create"),
        "mrn=" + "x" * (1024 * 1024 + 10),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_days_on_the_schedule_page_are_a_400(nurse, client_for, day):
    response = client_for(nurse).get(reverse("infusions:schedule") + f"?date={day}&view=week")
    assert response.status_code == 400
    response = client_for(nurse).get(reverse("infusions:schedule") + f"?date={day}")
    assert response.status_code == 400


@pytest.mark.parametrize("param", ["date_to", "date_from"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_days_in_the_sessions_api_are_a_400_with_the_field(nurse, client_for, param, day):
    response = client_for(nurse).get(f"/api/v1/infusion-sessions/?{param}={day}")
    assert response.status_code == 400
    assert param in response.json()["field_errors"]


def test_days_within_the_window_are_accepted(nurse, client_for):
    today = timezone.localdate()
    url = f"/api/v1/infusion-sessions/?date_to={today + timedelta(days=3650)}"
    assert client_for(nurse).get(url).status_code == 200


def test_parse_day():
    assert parse_day(None, field="d") is None
    assert parse_day("", field="d") is None
    assert parse_day("2026-01-02", field="d") == date(2026, 1, 2)
    assert parse_day("nonsense", field="d", malformed_is_blank=True) is None
    with pytest.raises(InvalidDay):
        parse_day("nonsense", field="d")
    with pytest.raises(InvalidDay, match="d: a day from"):
        parse_day("9999-12-31", field="d")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/chairs/2.5/",
        "/api/v1/orders/1.5/plan/",
        "/api/v1/orders/a%0Ab/reviews/",
        "/api/v1/no-such-route/",
        "/api/v1/x/y/z/",
    ],
)
def test_a_path_no_api_route_matches_is_the_api_json_404(api, path):
    """Not Django's HTML page: the one error shape, for every method."""
    for method in ("get", "post", "patch", "delete"):
        response = getattr(api, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"code", "detail", "field_errors"}
        assert response.json()["code"] == "not_found"


def test_a_path_no_api_route_matches_asks_an_anonymous_caller_to_sign_in():
    """As any API route does: nothing about what exists is told before signing in."""
    response = Client().get("/api/v1/chairs/2.5/")
    route = Client().get("/api/v1/chairs/")
    assert response.status_code == route.status_code
    assert response.json() == route.json()
    assert response.json()["code"] == "not_authenticated"


def test_an_api_path_without_its_slash_is_still_redirected_to_it(api):
    assert api.get("/api/v1/patients").status_code == 301


def test_a_body_in_a_media_type_the_api_does_not_take_is_a_documented_415(api):
    from drf_spectacular.generators import SchemaGenerator

    response = api.generic("POST", "/api/v1/patients/", b"mrn=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "415" in schema["paths"]["/api/v1/patients/"]["post"]["responses"]


def test_an_anonymous_api_call_is_a_401_that_says_how_to_sign_in():
    response = Client().get("/api/v1/orders/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"
