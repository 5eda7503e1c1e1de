"""``POST /api/v1/dose-plans/`` through the real URL, against the seeded formulary (docs/api.md)."""

import copy
import json

import pytest

from ivig.accounts.roles import Role
from orders.dose_plans.api import WORKED_EXAMPLE

pytestmark = pytest.mark.django_db

URL = "/api/v1/dose-plans/"

# docs/api.md's worked example, every field. The titration steps docs/api.md elides ("one step every
# 15 minutes, 15 mL/h faster each time") are written out: rate r for 15 min gives r / 4 mL,
# shown to 0.1 mL half up.
EXPECTED_WORKED_EXAMPLE = {
    "bmi": "29.2",
    "ideal_body_weight_kg": "59.6",
    "adjusted_body_weight_kg": "68.8",
    "dosing_weight_kg": "68.8",
    "dosing_weight_basis": "adjusted",
    "calculated_daily_dose_g": "27.5",
    "daily_dose_g": "25",
    "vials": [{"size_g": "20", "count": 1}, {"size_g": "5", "count": 1}],
    "waste_g": "0",
    "daily_volume_ml": 250,
    "cycle_dose_g": "125",
    "cycle_dose_g_per_kg": "1.82",
    # Rules v3: no step faster than Privigen's label step at its start minute (mg/kg/min x 68.8
    # x 60 / 1000, rounded down: 0.5 -> 20, 1 -> 41, 2 -> 82 for 30 min each, 4 -> 165, 8 -> 330);
    # the protocol (34 + 15 mL/h every 15 min) is lower from minute 90.
    "titration": [
        {"start_min": 0, "rate_ml_per_h": 20, "minutes": "30.0", "volume_ml": "10.0"},
        {"start_min": 30, "rate_ml_per_h": 41, "minutes": "30.0", "volume_ml": "20.5"},
        {"start_min": 60, "rate_ml_per_h": 82, "minutes": "30.0", "volume_ml": "41.0"},
        {"start_min": 90, "rate_ml_per_h": 124, "minutes": "15.0", "volume_ml": "31.0"},
        {"start_min": 105, "rate_ml_per_h": 139, "minutes": "15.0", "volume_ml": "34.8"},  # 34.75
        {"start_min": 120, "rate_ml_per_h": 154, "minutes": "15.0", "volume_ml": "38.5"},
        {"start_min": 135, "rate_ml_per_h": 169, "minutes": "15.0", "volume_ml": "42.3"},  # 42.25
        # 218 mL given so far; 32 mL left at 184 mL/h = 10.43 min.
        {"start_min": 150, "rate_ml_per_h": 184, "minutes": "10.4", "volume_ml": "32.0"},
    ],
    "target_rate_reached_min": None,
    "infusion_minutes": 161,
    "vital_checks_min": [0, 30, 60, 90, 120, 150, 161],
    "premedication_min_before": 30,
    "chair_minutes": 221,
    "cycles": [
        {"number": n + 1, "days": days}
        for n, days in enumerate(
            [
                ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"],
                ["2027-02-01", "2027-02-02", "2027-02-03", "2027-02-04", "2027-02-05"],
                ["2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05"],
                ["2027-03-29", "2027-03-30", "2027-03-31", "2027-04-01", "2027-04-02"],
                ["2027-04-26", "2027-04-27", "2027-04-28", "2027-04-29", "2027-04-30"],
                ["2027-05-24", "2027-05-25", "2027-05-26", "2027-05-27", "2027-05-28"],
            ]
        )
    ],
    "cost_per_cycle": "11875",
}


def post(client, body, **extra):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def api(clinician, client_for):
    return client_for(clinician)


def test_worked_example_field_for_field(api):
    response = post(api, WORKED_EXAMPLE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == [*EXPECTED_WORKED_EXAMPLE, "findings"]  # every field, in order
    for field, expected in EXPECTED_WORKED_EXAMPLE.items():
        assert body[field] == expected, field
    assert [(f["code"], f["severity"]) for f in body["findings"]] == [
        ("ASEPTIC_MENINGITIS_RISK", "warn"),
        ("HEMOLYSIS_RISK", "warn"),
    ]
    assert all(f["message"] for f in body["findings"])


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_compute_a_plan(role, users_by_role, client_for):
    assert post(client_for(users_by_role[role]), WORKED_EXAMPLE).status_code == 200


def test_anonymous_callers_are_refused(client):
    assert post(client, WORKED_EXAMPLE).status_code in (401, 403)


def test_token_authentication(clinician, client):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=clinician)
    response = post(client, WORKED_EXAMPLE, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_nothing_is_saved(api, django_assert_max_num_queries):
    from ivig.audit.models import AccessLog

    before = AccessLog.objects.count()
    post(api, WORKED_EXAMPLE)
    assert AccessLog.objects.count() == before


def _with(path: str, value, body=None):
    body = copy.deepcopy(body or WORKED_EXAMPLE)
    *parents, leaf = path.split(".")
    node = body
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return body


_DELETE = object()


def test_malformed_json_is_a_400(api):
    response = api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "value", "expected_error_path"),
    [
        ("patient.shoe_size", "42", ("patient", "shoe_size")),
        ("favourite_colour", "blue", ("favourite_colour",)),
        ("patient.age_years", "57", ("patient", "age_years")),
        ("patient.age_years", 57.5, ("patient", "age_years")),
        ("patient.weight_kg", "heavy", ("patient", "weight_kg")),
        ("patient.weight_kg", True, ("patient", "weight_kg")),
        ("patient.weight_kg", "NaN", ("patient", "weight_kg")),
        ("patient.sex", "other", ("patient", "sex")),
        ("patient.risk_factors", ["smoking"], ("patient", "risk_factors")),
        ("patient.pregnant", "no", ("patient", "pregnant")),
        ("patient.age_years", _DELETE, ("patient", "age_years")),
        ("regimen.start_date", "next monday", ("regimen", "start_date")),
        ("regimen.days_per_cycle", "5", ("regimen", "days_per_cycle")),
        ("target_rate_ml_per_h", 150.5, ("target_rate_ml_per_h",)),
        ("rate_protocol", "fast", ("rate_protocol",)),
        ("dosing_weight_basis", "lean", ("dosing_weight_basis",)),
        ("product", 7, ("product",)),
        ("regimen", _DELETE, ("regimen",)),
    ],
)
def test_wrong_types_and_unknown_fields_are_400_with_field_errors(
    api, path, value, expected_error_path
):
    response = post(api, _with(path, value))
    assert response.status_code == 400, response.content
    node = response.json()["field_errors"][".".join(expected_error_path)]
    messages = _messages(node)
    assert messages and all(isinstance(m, str) and m for m in messages)


def _messages(node) -> list:
    """Every message under an error node (a list, or a dict of nested field errors)."""
    if isinstance(node, dict):
        return [m for child in node.values() for m in _messages(child)]
    return list(node)


def test_a_regimen_needs_exactly_one_dose(api):
    both = _with("regimen.daily_dose_mg_per_kg", "400")
    neither = _with("regimen.total_dose_g_per_kg", _DELETE)
    for body in (both, neither):
        response = post(api, body)
        assert response.status_code == 400
        assert "exactly one" in json.dumps(response.json())


def test_decimals_may_travel_as_json_numbers(api):
    body = _with("patient.weight_kg", 82.5)
    body = _with("regimen.total_dose_g_per_kg", 2, body)
    response = post(api, body)
    assert response.status_code == 200
    assert response.json()["daily_dose_g"] == "25"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("product", "no-such-product"),
        ("indication", "no-such-indication"),
        ("patient.weight_kg", "351"),
        ("patient.weight_kg", None),
        ("patient.height_cm", "39"),
        ("patient.sex", None),
        ("regimen.days_per_cycle", 6),
        ("regimen.total_dose_g_per_kg", "0"),
    ],
)
def test_clinically_invalid_input_is_200_with_a_stop(api, path, value):
    response = post(api, _with(path, value))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["findings"][0]["code"] == "INVALID_INPUT"
    assert body["findings"][0]["severity"] == "stop"
    assert body["daily_dose_g"] is None
    assert body["titration"] is None


def test_an_inactive_product_is_still_planned_so_its_rules_act(api):
    """Carimune NF is inactive but stays in the formulary: the sucrose rule acts on it."""
    body = _with("product", "carimune-nf")
    body = _with("patient.risk_factors", ["diabetes"], body)
    codes = [f["code"] for f in post(api, body).json()["findings"]]
    assert "SUCROSE_RENAL_RISK" in codes


def test_the_dosing_policy_is_the_pharmacists(api):
    from formulary.selectors import current_policy

    policy = current_policy()
    policy.premedication_lead_minutes = 15
    policy.save()
    body = post(api, WORKED_EXAMPLE).json()
    assert body["premedication_min_before"] == 15
    assert body["chair_minutes"] == 15 + 161 + 30


def test_the_endpoint_is_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/dose-plans/"]["post"]
    assert "200" in operation["responses"] and "400" in operation["responses"]
    assert "DosePlanRequest" in json.dumps(operation["requestBody"])
