"""Numbers at the edge (ivig/numbers.py, issue 22): finite and bounded at the parser, integers
within their column, and what was sent quoted 32 characters at most. Each case used to be a
500 (or a 2 MB answer)."""

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework import serializers

from infusions.models import InfusionSession
from ivig.numbers import INT_MAX, JSON_NUMBER_MAX, SMALLINT_MAX
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at
from tests.orders.factories import PatientFactory
from tests.test_date_windows import request_fields

pytestmark = pytest.mark.django_db


def post_json(client: Client, url: str, body: str) -> Any:
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    "number", ["1e400", "-1e400", "1e999999999", "NaN", "Infinity", "-Infinity", "9" * 5000]
)
def test_a_non_finite_or_huge_json_number_in_an_id_field_is_a_400(clinician, client_for, number):
    client = client_for(clinician)
    answer = post_json(client, "/api/v1/orders/", '{"patient": ' + number + "}")
    assert answer.status_code == 400, answer.content[:300]
    assert answer.json()["code"] == "parse_error"
    assert len(answer.content) < 500


def test_json_numbers_up_to_the_bound_are_read(clinician, client_for):
    client = client_for(clinician)
    answer = post_json(client, "/api/v1/orders/", json.dumps({"patient": JSON_NUMBER_MAX}))
    assert answer.status_code == 400
    assert "patient" in answer.json()["field_errors"]  # no such patient: a field error
    answer = post_json(client, "/api/v1/orders/", json.dumps({"patient": JSON_NUMBER_MAX + 1}))
    assert answer.json()["code"] == "parse_error"


@pytest.fixture
def session(nurse) -> InfusionSession:
    chair = ChairFactory.create(name="Chair 1")
    return session_for(
        verified_order(status=OrderStatus.ACTIVE), chair, yesterday_at("09:00"), by=nurse
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "lot_recorded", "lot_number": "A1", "vial_size_g": "10", "vial_count": 2**31},
         "vial_count"),
        ({"kind": "lot_recorded", "lot_number": "A1", "vial_size_g": "10", "vial_count": 32768},
         "vial_count"),
        ({"kind": "vital_signs", "bp_systolic_mmhg": 2**31, "bp_diastolic_mmhg": 80,
          "pulse_per_min": 70}, "bp_systolic_mmhg"),
        ({"kind": "rate_changed", "rate_ml_per_h": 2**40}, "rate_ml_per_h"),
        ({"kind": "note", "details": "x", "correction_of": 2**40}, "correction_of"),
    ],
)  # fmt: skip
def test_integers_beyond_their_column_are_a_400_on_the_field(
    nurse, client_for, session, body, field
):
    url = f"/api/v1/infusion-sessions/{session.pk}/entries/"
    answer = post_json(client_for(nurse), url, json.dumps(body))
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["field_errors"]
    assert not session.entries.exists()


def test_a_start_rate_beyond_its_column_is_a_400(nurse, client_for, session):
    url = f"/api/v1/infusion-sessions/{session.pk}/start/"
    answer = post_json(client_for(nurse), url, json.dumps({"rate_ml_per_h": SMALLINT_MAX + 1}))
    assert answer.status_code == 400
    assert "rate_ml_per_h" in answer.json()["field_errors"]


def test_every_api_integer_is_bounded_to_a_column():
    """A walk over every request body of the schema: each writable integer has a maximum no
    larger than the ``integer`` column's (ids are bounded at the parser)."""
    found = request_fields((serializers.IntegerField,))
    assert len(found) > 20
    maxima = {path: getattr(field, "max_value", None) for path, field in found}
    problems = [path for path, high in maxima.items() if high is None or high > INT_MAX]
    assert not problems, problems


def test_the_default_bound_reaches_serializers_without_one():
    from ivig.api.serializers import RefuseUnknownFieldsMixin

    class Body(RefuseUnknownFieldsMixin, serializers.Serializer):
        count = serializers.IntegerField()

    body = Body(data={"count": INT_MAX + 1})
    assert not body.is_valid()
    assert "count" in body.errors
    assert Body(data={"count": INT_MAX}).is_valid()


def test_a_patient_height_of_1e400_is_a_400_not_a_500(clinician, client_for):
    PatientFactory.create(mrn="H-1")
    answer = post_json(
        client_for(clinician),
        "/api/v1/patients/",
        '{"mrn": "H-2", "given_name": "A", "family_name": "B", "date_of_birth": "1970-01-01",'
        ' "sex": "female", "height_cm": 1e400}',
    )
    assert answer.status_code == 400
