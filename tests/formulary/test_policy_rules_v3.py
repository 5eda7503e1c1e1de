"""The dosing policy's rules-v3 settings through the page (docs/clinical-rules.md 3.1, 3.4): the
default at-risk maximum and the adjusted-weight rule, and what the order's plan shows of them."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from formulary.models import DosingPolicy
from orders.services import order_create
from tests.formulary.test_views import POLICY, policy_post
from tests.orders.factories import order_values, worked_example_patient

pytestmark = pytest.mark.django_db


def test_the_pharmacist_sets_both_and_the_plan_follows(pharmacist, clinician, client_for):
    client = client_for(pharmacist)
    page = client.get(POLICY).content.decode()
    assert "default at-risk maximum rate (mg/kg/min)" in page
    refused = client.post(POLICY, policy_post(1, default_at_risk_max_mg_per_kg_per_min="0"))
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    saved = client.post(
        POLICY,
        policy_post(
            1, default_at_risk_max_mg_per_kg_per_min="2", adjusted_weight_rule="any_adult_above_ibw"
        ),
    )
    assert saved.status_code == 302
    policy = DosingPolicy.objects.get()
    assert policy.default_at_risk_max_mg_per_kg_per_min == Decimal(2)
    assert policy.adjusted_weight_rule == "any_adult_above_ibw"

    # 70 years old: at risk; Privigen records no at-risk maximum: 2 mg/kg/min x 68.8 kg x 0.6
    # = 82.56 -> 82 mL/h, reached at minute 60 (the label's own 82 mL/h step, then the cap).
    patient = worked_example_patient(clinician, date_of_birth=date(1956, 1, 1))
    order = order_create(by=clinician, **order_values(patient))
    detail = client_for(clinician).get(reverse("orders:order-detail", args=[order.pk]))
    text = detail.content.decode()
    assert "Every adult of 152.4 cm (60 inches) or more whose weight is above ideal" in text
    assert "at-risk maximum" in text
    assert "82 mL/h (the dosing policy" in text
