"""docs/clinical-rules.md 3.1: a child dosed on basis ``auto`` is dosed on actual weight, so the
ideal and adjusted body weights are shown as "not used" (never a figure) on the preview, the
order page and the printed sheet; an adult's are shown."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.services import order_create

from .factories import PatientFactory, PatientWeightFactory, order_values
from .test_order_views import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(clinician):
    today = timezone.localdate()
    patient = PatientFactory.create(
        date_of_birth=date(today.year - 4, 1, 1), height_cm=Decimal("104")
    )
    PatientWeightFactory.create(patient=patient, weight_kg=Decimal("17"), recorded_by=clinician)
    return patient


def _cell(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}">') + len(f'data-testid="{testid}">')
    return page[start : page.index("<", start)]


def test_a_childs_ideal_and_adjusted_weights_are_not_used_on_every_page(
    clinician, client_for, child
):
    client = client_for(clinician)
    preview = client.post(
        reverse("orders:order-preview"), form_data(child), headers={"HX-Request": "true"}
    ).content.decode()
    order = order_create(by=clinician, **order_values(child))
    detail = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    printed = client.get(reverse("orders:order-print", args=[order.pk])).content.decode()
    for page in (preview, detail, printed):
        assert _cell(page, "ideal-weight") == "not used"
        assert _cell(page, "adjusted-weight") == "not used"
        assert "17 kg (actual body weight)" in page


def test_an_explicit_basis_shows_a_childs_ideal_weight(clinician, client_for, child):
    order = order_create(by=clinician, **order_values(child, dosing_weight_basis="ideal"))
    page = client_for(clinician).get(reverse("orders:order-detail", args=[order.pk]))
    assert _cell(page.content.decode(), "ideal-weight").endswith(" kg")


def test_an_adults_ideal_and_adjusted_weights_are_shown(clinician, client_for, worked_patient):
    order = order_create(by=clinician, **order_values(worked_patient))
    page = client_for(clinician).get(reverse("orders:order-detail", args=[order.pk]))
    assert _cell(page.content.decode(), "adjusted-weight") == "68.8 kg"
