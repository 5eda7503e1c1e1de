"""Formulary API through real URLs: roles, representation, filters, errors, schema, queries."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from formulary.models import DosingPolicy, Product
from ivig.accounts.roles import Role

from .factories import ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
PRIVIGEN = f"{PRODUCTS}privigen/"
POLICY = "/api/v1/dosing-policy/"
OTHER_ROLES = [Role.CLINICIAN, Role.NURSE, Role.AUTHORIZATION_ADMIN]

NEW_PRODUCT: dict[str, Any] = {
    "slug": "newgam",
    "brand_name": "Newgam",
    "manufacturer": "New Biologics",
    "concentration_pct": "10",
    "form": "liquid",
    "stabilizers": ["glycine"],
    "contains_sucrose": False,
    "label_max_mg_per_kg_per_min": "8",
    "vial_sizes": [{"size_g": "5"}, {"size_g": "10", "active": True}],
    "label_rate_steps": [
        {"rate_mg_per_kg_per_min": "1", "minutes": 30},
        {"rate_mg_per_kg_per_min": "8", "minutes": None},
    ],
    "price_per_g": "97.50",
}


@pytest.fixture
def api(client_for: Callable[..., Client], users_by_role: dict[Role, Any]) -> Callable[..., Any]:
    """``api(role, method, url, body)`` -> response, signed in as that role."""

    def call(role: Role, method: str, url: str, body: Any = None) -> Any:
        client = client_for(users_by_role[role])
        payload = {} if body is None else {"data": json.dumps(body)}
        return getattr(client, method)(url, content_type="application/json", **payload)

    return call


def pharmacist_call(api: Callable[..., Any], method: str, url: str, body: Any = None) -> Any:
    return api(Role.PHARMACIST, method, url, body)


# --- roles ------------------------------------------------------------------------------------

READS = [
    PRODUCTS,
    PRIVIGEN,
    f"{PRIVIGEN}prices/",
    f"{PRODUCTS}suitable/?iga_status=normal&age_years=40",
    "/api/v1/vial-sizes/",
    POLICY,
]
WRITES = [
    ("post", PRODUCTS, NEW_PRODUCT),
    ("put", PRIVIGEN, {}),
    ("patch", PRIVIGEN, {"brand_name": "Renamed"}),
    ("post", f"{PRIVIGEN}deactivate/", {"reason": "x"}),
    ("post", f"{PRIVIGEN}reactivate/", {"reason": "x"}),
    ("post", f"{PRIVIGEN}prices/", {"price_per_g": "1", "effective_from": "2026-03-01"}),
    ("put", POLICY, {"version": 1}),
    ("patch", POLICY, {"version": 1, "observation_minutes": 60}),
]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads(api, role):
    for url in READS:
        assert api(role, "get", url).status_code == 200, url


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_pharmacists_write(api, role):
    for method, url, body in WRITES:
        assert api(role, method, url, body).status_code == 403, (method, url)
    assert Product.objects.get(slug="privigen").brand_name == "Privigen"
    assert DosingPolicy.objects.get().version == 1


@pytest.mark.parametrize("role", list(Role))
def test_nothing_is_ever_deleted(api, role):
    assert api(role, "delete", PRIVIGEN).status_code == 405
    assert api(role, "delete", "/api/v1/vial-sizes/1/").status_code == 405
    assert api(role, "delete", POLICY).status_code in (403, 405)
    assert Product.objects.filter(slug="privigen").exists()


def test_anonymous_callers_are_refused():
    for url in READS:
        assert Client().get(url).status_code in (401, 403), url


# --- representation, filters, queries ---------------------------------------------------------


def test_a_product_with_its_vial_sizes_steps_and_price_decimals_as_strings(api):
    body = api(Role.NURSE, "get", f"{PRODUCTS}octagam-10/").json()
    assert body["concentration_pct"] == "10"
    assert body["at_risk_max_mg_per_kg_per_min"] == "3.3"
    assert body["vial_sizes"][0] == {"size_g": "2", "active": True}
    assert body["label_rate_steps"][-1] == {
        "position": 5,
        "rate_mg_per_kg_per_min": "12",
        "minutes": None,
    }
    assert body["current_price_per_g"] == "92"
    assert body["stabilizers"] == ["maltose"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("low_iga=true", {"gammagard-sd"}),
        ("active=false", {"carimune-nf"}),
        ("search=octapharma", {"octagam-5", "octagam-10"}),
        ("concentration_pct=5&sugar_free=false", {
            "gammagard-sd", "octagam-5", "flebogamma-5-dif", "gammaplex-5"
        }),
        ("concentration_pct=10&sugar_free=true&search=gam", {
            "gammagard-liquid", "gammaked", "gamunex-c", "bivigam"
        }),
    ],
)  # fmt: skip
def test_filters(api, query, expected):
    body = api(Role.CLINICIAN, "get", f"{PRODUCTS}?{query}").json()
    assert {product["slug"] for product in body["results"]} == expected
    assert body["count"] == len(expected)


def test_a_bad_filter_value_is_a_400(api):
    response = api(Role.CLINICIAN, "get", f"{PRODUCTS}?concentration_pct=lots")
    assert response.status_code == 400
    assert "concentration_pct" in response.json()["field_errors"]


API_LIST_QUERY_BOUND = 10  # measured: the page's 9 and the pagination count


def test_the_list_takes_the_same_queries_however_many_products(
    pharmacist, client_for, django_assert_max_num_queries
):
    client = client_for(pharmacist)
    client.get(PRODUCTS)  # warm up the session
    with django_assert_max_num_queries(API_LIST_QUERY_BOUND):
        assert client.get(PRODUCTS).status_code == 200
    ProductFactory.create_batch(10)
    with django_assert_max_num_queries(API_LIST_QUERY_BOUND):
        body = client.get(PRODUCTS).json()
    assert body["count"] == 24


def test_vial_sizes_by_product(api):
    body = api(Role.NURSE, "get", "/api/v1/vial-sizes/?product__slug=privigen").json()
    sizes = [(row["product"], row["size_g"], row["active"]) for row in body["results"]]
    assert sizes == [("privigen", size, True) for size in ("5", "10", "20", "40")]


# --- writes -----------------------------------------------------------------------------------


def test_a_pharmacist_creates_a_product(api):
    response = pharmacist_call(api, "post", PRODUCTS, NEW_PRODUCT)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "newgam" and body["current_price_per_g"] == "97.5"
    assert [v["size_g"] for v in body["vial_sizes"]] == ["5", "10"]
    assert [s["position"] for s in body["label_rate_steps"]] == [1, 2]
    assert "price_per_g" not in body
    assert Product.objects.get(slug="newgam").history.get().history_user.username == "pharm-test"


def test_a_pharmacist_updates_a_product_and_its_vial_sizes(api):
    response = pharmacist_call(
        api,
        "patch",
        PRIVIGEN,
        {
            "version": 1,
            "hcpcs_code": "J1460",
            "vial_sizes": [{"size_g": "10"}, {"size_g": "20"}],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["hcpcs_code"] == "J1460"
    assert [(v["size_g"], v["active"]) for v in body["vial_sizes"]] == [
        ("5", False),
        ("10", True),
        ("20", True),
        ("40", False),
    ]
    assert len(body["label_rate_steps"]) == 5  # left as they were


def test_a_full_update_replaces_the_steps(api):
    current = api(Role.PHARMACIST, "get", PRIVIGEN).json()
    writable = {k: v for k, v in current.items() if k not in ("slug", "active")}
    writable.pop("current_price_per_g")
    writable["label_rate_steps"] = [
        {"rate_mg_per_kg_per_min": "0.5", "minutes": 30},
        {"rate_mg_per_kg_per_min": "8", "minutes": None},
    ]
    response = pharmacist_call(api, "put", PRIVIGEN, writable)
    assert response.status_code == 200, response.json()
    assert [s["rate_mg_per_kg_per_min"] for s in response.json()["label_rate_steps"]] == [
        "0.5",
        "8",
    ]


BAD_BODIES = {
    "concentration above 100": ({"concentration_pct": "150"}, "concentration_pct"),
    "not a number": ({"concentration_pct": "ten"}, "concentration_pct"),
    "no active vial size": ({"vial_sizes": [{"size_g": "5", "active": False}]}, "vial_sizes"),
    "vial size 0": ({"vial_sizes": [{"size_g": "0"}]}, "vial_sizes"),
    "steps slowing down": (
        {
            "label_rate_steps": [
                {"rate_mg_per_kg_per_min": "4", "minutes": 30},
                {"rate_mg_per_kg_per_min": "1", "minutes": None},
            ]
        },
        "label_rate_steps",
    ),
    "unknown stabilizer": ({"stabilizers": ["mannitol"]}, "stabilizers"),
    "sucrose not flagged": ({"stabilizers": ["sucrose"]}, "contains_sucrose"),
    "slug taken": ({"slug": "privigen"}, "slug"),
    "reserved slug": ({"slug": "suitable"}, "slug"),
    "no price": ({"price_per_g": None}, "price_per_g"),
    "an unknown field": ({"colour": "blue"}, "colour"),
}


@pytest.mark.parametrize(("changes", "field"), BAD_BODIES.values(), ids=BAD_BODIES)
def test_bad_input_is_a_400_with_the_field_at_fault(api, changes, field):
    response = pharmacist_call(api, "post", PRODUCTS, {**NEW_PRODUCT, **changes})
    assert response.status_code == 400
    named = {name.split(".")[0] for name in response.json()["field_errors"]}
    assert field in named, response.json()
    assert not Product.objects.filter(brand_name="Newgam").exists()


def test_the_slug_is_not_writable_after_creation(api):
    response = pharmacist_call(api, "patch", PRIVIGEN, {"version": 1, "slug": "renamed"})
    assert response.status_code == 400 and "slug" in response.json()["field_errors"]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_product_change_needs_its_version(api, method):
    current = api(Role.PHARMACIST, "get", PRIVIGEN).json()
    assert current["version"] == 1
    response = pharmacist_call(api, method, PRIVIGEN, {"hcpcs_code": "J1460"})
    assert response.status_code == 400
    assert "version" in response.json()["field_errors"]


def test_a_stale_product_change_is_a_409_and_changes_nothing(api):
    first = pharmacist_call(api, "patch", PRIVIGEN, {"version": 1, "hcpcs_code": "J1460"})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = pharmacist_call(
        api,
        "patch",
        PRIVIGEN,
        {"version": 1, "hcpcs_code": "J9999", "vial_sizes": [{"size_g": "20"}]},
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "stale_version" and "version" in body["field_errors"]
    after = api(Role.PHARMACIST, "get", PRIVIGEN).json()
    assert after["hcpcs_code"] == "J1460" and after["version"] == 2
    assert sum(v["active"] for v in after["vial_sizes"]) > 1


def test_deactivate_reactivate_and_prices(api):
    response = pharmacist_call(api, "post", f"{PRIVIGEN}deactivate/", {"reason": "Recall"})
    assert response.status_code == 200 and response.json()["active"] is False
    again = pharmacist_call(api, "post", f"{PRIVIGEN}deactivate/", {"reason": "Recall"})
    assert again.status_code == 400
    assert again.json()["field_errors"] == {"__all__": ["Privigen is already inactive."]}
    assert pharmacist_call(api, "post", f"{PRIVIGEN}deactivate/", {}).status_code == 400
    response = pharmacist_call(api, "post", f"{PRIVIGEN}reactivate/", {"reason": "Over"})
    assert response.json()["active"] is True

    price = {"price_per_g": "99", "effective_from": "2026-02-01"}
    created = pharmacist_call(api, "post", f"{PRIVIGEN}prices/", price)
    assert created.status_code == 201
    assert created.json()["created_by"] == "pharm-test"
    duplicate = pharmacist_call(api, "post", f"{PRIVIGEN}prices/", price)
    assert duplicate.status_code == 400 and "effective_from" in duplicate.json()["field_errors"]
    history = api(Role.NURSE, "get", f"{PRIVIGEN}prices/").json()
    assert [row["effective_from"] for row in history] == ["2026-02-01", "2026-01-01"]


# --- policy -----------------------------------------------------------------------------------


def test_the_policy_is_read_by_all_and_changed_with_its_version(api):
    policy = api(Role.NURSE, "get", POLICY).json()
    assert policy["version"] == 1 and policy["rounding_tolerance_pct"] == "10"
    changed = pharmacist_call(api, "patch", POLICY, {"version": 1, "observation_minutes": 45})
    assert changed.status_code == 200
    assert changed.json()["version"] == 2 and changed.json()["observation_minutes"] == 45


def test_a_stale_policy_change_is_a_409(api):
    pharmacist_call(api, "patch", POLICY, {"version": 1, "observation_minutes": 45})
    stale = pharmacist_call(api, "put", POLICY, {"version": 1, "observation_minutes": 60})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert DosingPolicy.objects.get().observation_minutes == 45


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"observation_minutes": 45}, "version"),
        ({"version": 1, "premedication_lead_minutes": 45}, "premedication_lead_minutes"),
        ({"version": 1, "max_rate_ml_per_h": 201}, "max_rate_ml_per_h"),
    ],
)
def test_bad_policy_input_is_a_400(api, body, field):
    response = pharmacist_call(api, "patch", POLICY, body)
    assert response.status_code == 400 and field in response.json()["field_errors"]


# --- suitability ------------------------------------------------------------------------------


def test_suitable_products_for_a_patient(api):
    query = "iga_status=deficient_with_antibodies&risk_factors=diabetes&age_years=50"
    body = api(Role.CLINICIAN, "get", f"{PRODUCTS}suitable/?{query}").json()
    assert body["suitable"] == [
        {
            "slug": "gammagard-sd",
            "brand_name": "Gammagard S/D (low IgA)",
            "concentration_pct": "5",
            "notes": ["low IgA", "sucrose-free"],
            "findings": [],
            "warnings": [],
        }
    ]
    privigen = next(fit for fit in body["unsuitable"] if fit["slug"] == "privigen")
    assert privigen["findings"][0]["code"] == "IGA_DEFICIENCY_WITH_ANTIBODIES"
    assert privigen["findings"][0]["severity"] == "stop"


def test_the_api_lists_the_maltose_warning_for_a_diabetic_patient(api):
    body = api(
        Role.CLINICIAN,
        "get",
        f"{PRODUCTS}suitable/?iga_status=normal&risk_factors=diabetes&age_years=50",
    ).json()
    octagam = next(fit for fit in body["suitable"] if fit["slug"] == "octagam-10")
    assert [warning["code"] for warning in octagam["warnings"]] == ["MALTOSE_GLUCOSE_INTERFERENCE"]
    assert octagam["warnings"][0]["severity"] == "warn"
    assert "maltose" in octagam["warnings"][0]["message"]
    privigen = next(fit for fit in body["suitable"] if fit["slug"] == "privigen")
    assert privigen["warnings"] == []


def test_no_maltose_warning_without_diabetes(api):
    body = api(Role.CLINICIAN, "get", f"{PRODUCTS}suitable/?iga_status=normal&age_years=50").json()
    assert all(fit["warnings"] == [] for fit in body["suitable"] + body["unsuitable"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("iga_status=normal", "age_years"),
        ("iga_status=low&age_years=40", "iga_status"),
        ("risk_factors=kidney,diabetes&age_years=40", "risk_factors"),
        ("age_years=200", "age_years"),
    ],
)
def test_bad_suitability_queries_are_a_400(api, query, field):
    response = api(Role.CLINICIAN, "get", f"{PRODUCTS}suitable/?{query}")
    assert response.status_code == 400 and field in response.json()["field_errors"]


# --- schema -----------------------------------------------------------------------------------


def test_every_endpoint_is_in_a_valid_schema_without_warnings():
    patterns = [path("api/v1/", include("formulary.api_urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular warned about the formulary API"
    assert set(schema["paths"]) == {
        "/api/v1/products/",
        "/api/v1/products/{slug}/",
        "/api/v1/products/{slug}/deactivate/",
        "/api/v1/products/{slug}/reactivate/",
        "/api/v1/products/{slug}/prices/",
        "/api/v1/products/suitable/",
        "/api/v1/vial-sizes/",
        "/api/v1/vial-sizes/{id}/",
        "/api/v1/dosing-policy/",
    }
    assert "delete" not in schema["paths"]["/api/v1/products/{slug}/"]
    policy_put = schema["paths"]["/api/v1/dosing-policy/"]["put"]
    assert "409" in policy_put["responses"]
