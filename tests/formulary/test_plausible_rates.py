"""Formulary rates within what any IVIg label allows (issue 22): a label maximum of 999
mg/kg/min used to be saved without a word; above 12 (the fastest seeded label) it is refused
on its field, through the API as through the service."""

from decimal import Decimal

import pytest

from formulary.models import Product
from formulary.services import RATE_MAX_MG_PER_KG_PER_MIN, RateStepData

from .test_api import NEW_PRODUCT, PRODUCTS
from .test_services import FIELDS, create, refused

pytestmark = pytest.mark.django_db


def test_the_bound_is_the_fastest_seeded_label():
    fastest = max(
        rate
        for rate in Product.objects.values_list("label_max_mg_per_kg_per_min", flat=True)
        if rate is not None
    )
    assert fastest == RATE_MAX_MG_PER_KG_PER_MIN


@pytest.mark.parametrize("field", ["label_max_mg_per_kg_per_min", "at_risk_max_mg_per_kg_per_min"])
def test_a_maximum_above_12_is_refused_on_its_field(pharmacist, field):
    fields = {**FIELDS, "label_max_mg_per_kg_per_min": Decimal(12), field: Decimal("12.01")}
    error = refused("implausible_rate", create, user=pharmacist, fields=fields)
    assert error.field == field
    assert not Product.objects.filter(slug="newgam").exists()


def test_a_step_above_12_is_refused_even_without_a_label_maximum(pharmacist):
    fields = {**FIELDS, "label_max_mg_per_kg_per_min": None}
    steps = [RateStepData(Decimal(1), 30), RateStepData(Decimal(999))]
    refused("implausible_rate", create, user=pharmacist, fields=fields, label_rate_steps=steps)


def test_12_itself_is_accepted(pharmacist):
    fields = {**FIELDS, "label_max_mg_per_kg_per_min": Decimal(12)}
    steps = [RateStepData(Decimal(1), 30), RateStepData(Decimal(12))]
    assert create(pharmacist, fields=fields, label_rate_steps=steps).pk


def test_999_through_the_api_is_a_400_on_the_field(pharmacist, client_for):
    body = {**NEW_PRODUCT, "label_max_mg_per_kg_per_min": "999"}
    response = client_for(pharmacist).post(PRODUCTS, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "label_max_mg_per_kg_per_min" in response.json()["field_errors"]
    assert not Product.objects.filter(slug="newgam").exists()
