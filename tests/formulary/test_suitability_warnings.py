"""docs/clinical-rules.md 5: a product's warnings (MALTOSE_GLUCOSE_INTERFERENCE for a diabetic
patient and a maltose-stabilised product such as Octagam) are shown in the suitability API and on
the order form's product picker, while the product stays suitable."""

import pytest
from django.urls import reverse

from ..orders.factories import worked_example_patient

pytestmark = pytest.mark.django_db


def test_the_product_picker_shows_the_maltose_warning(clinician, client_for):
    patient = worked_example_patient(clinician, risk_factors=["diabetes"])
    page = (
        client_for(clinician)
        .get(reverse("orders:order-create"), {"patient": patient.pk})
        .content.decode()
    )
    assert (
        "Octagam 10% — sucrose-free — warns: Maltose: glucose meter readings falsely high" in page
    )
    assert "Privigen — sucrose-free — warns" not in page and "Privigen — sucrose-free<" in page
