"""Edit forms show stored decimals as people write them (STYLE: "2", never "2.000")."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TRAILING_ZERO_VALUE = re.compile(r'value="-?\d+\.\d*0"')


def test_the_order_edit_form_shows_no_trailing_zeros(clinician, client_for, draft):
    page = client_for(clinician).get(reverse("orders:order-edit", args=[draft.pk])).content
    assert b'value="2"' in page  # total_dose_g_per_kg stored as 2.000
    assert not TRAILING_ZERO_VALUE.search(page.decode())


def test_the_patient_edit_form_shows_no_trailing_zeros(clinician, client_for, draft):
    url = reverse("orders:patient-edit", args=[draft.patient_id])
    page = client_for(clinician).get(url).content.decode()
    assert 'value="168"' in page  # height_cm stored as 168.0
    assert not TRAILING_ZERO_VALUE.search(page)
