"""The entries endpoint's OpenAPI body is each entry kind's body as the service accepts it
(a oneOf on ``kind``), not the read serializer's one writable field (``{symptoms}``)."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from infusions.administration.entries import ENTRY_MODELS, entry_fields
from infusions.administration.record import STATE_KINDS
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db

PATH = "/api/v1/infusion-sessions/{id}/entries/"
# A plausible value of every field some kind records, to offer each kind the others' fields.
VALUES = {
    "details": "x",
    "rate_ml_per_h": 30,
    "lot_number": "L1",
    "vial_size_g": "10",
    "vial_count": 1,
    "bp_systolic_mmhg": 120,
    "bp_diastolic_mmhg": 80,
    "pulse_per_min": 70,
    "temperature_c": "37",
    "respiratory_rate_per_min": 16,
    "spo2_pct": 98,
    "symptoms": ["fever"],
    "severity": "mild",
    "action": "x",
    "volume_ml": "10",
    "grams_given": "1",
}


@pytest.fixture(scope="module")
def bodies(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    union = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert union["discriminator"]["propertyName"] == "kind"
    return {
        kind: schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        for kind, ref in union["discriminator"]["mapping"].items()
    }


def test_every_kind_is_documented_with_its_own_fields(bodies) -> None:
    assert set(bodies) == set(ENTRY_MODELS)
    for kind, model in ENTRY_MODELS.items():
        documented = bodies[kind]
        own = set(entry_fields(kind)) | {"kind", "occurred_at"}
        if kind not in STATE_KINDS:
            own.add("correction_of")
        assert set(documented["properties"]) == own, kind
        needed = {name for name in entry_fields(kind) if model.model_fields[name].is_required()}
        assert set(documented["required"]) == needed | {"kind"}, kind


def test_the_endpoint_refuses_what_a_kind_does_not_document(bodies, nurse, client_for) -> None:
    session = session_for(
        verified_order(status=OrderStatus.ACTIVE),
        ChairFactory.create(),
        yesterday_at("09:00"),
        by=nurse,
    )
    client = client_for(nurse)
    url = reverse("api-infusion-session-entries", args=[session.pk])
    for kind, documented in bodies.items():
        for field in sorted(set(VALUES) - set(documented["properties"])):
            response = client.post(
                url, {"kind": kind, field: VALUES[field]}, content_type="application/json"
            )
            assert response.status_code == 400, (kind, field)
            assert field in response.json()["field_errors"], (kind, field, response.json())
    assert not session.entries.exists()
