"""FHIR Coverage and ClaimResponse from insurance prior authorizations."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from authorizations.models import AuthorizationStatus
from ivig.audit.models import AccessLog
from tests.authorizations.factories import AuthorizationFactory, approved
from tests.interop.conftest import BASE, validated
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval(clinician):
    order = OrderFactory.create()
    return approved(
        order,
        valid_from=date(2026, 12, 1),
        valid_to=date(2027, 5, 31),
        cycles=6,
        grams="990",
        reference_number="PA-77",
        member_id="M-123",
    )


def test_an_approval_reads_as_coverage_and_claim_response(authadmin, fhir_client, approval):
    client = fhir_client(authadmin)
    coverage = validated(client.get(f"{BASE}/Coverage/{approval.pk}").json())
    assert coverage.subscriberId == "M-123"
    assert coverage.payor[0].display == approval.payer
    assert coverage.beneficiary.reference == f"Patient/{approval.patient_id}"

    response = client.get(f"{BASE}/ClaimResponse/{approval.pk}")
    assert response.status_code == 200, response.json()
    claim = validated(response.json())
    assert (claim.use, claim.outcome, claim.disposition) == (
        "preauthorization",
        "complete",
        "Approved",
    )
    assert claim.preAuthRef == "PA-77"
    assert (claim.preAuthPeriod.start, claim.preAuthPeriod.end) == (
        date(2026, 12, 1),
        date(2027, 5, 31),
    )
    values = {a.reason.text: a.value for a in claim.item[0].adjudication}
    assert values == {"approved cycles": Decimal(6), "approved grams": Decimal(990)}
    assert claim.insurance[0].coverage.reference == f"Coverage/{approval.pk}"
    assert claim.processNote[0].text == f"For MedicationRequest/{approval.order_id}"
    log = AccessLog.objects.latest("pk")
    assert log.records["authorizations.authorization"] == [str(approval.pk)]


def test_only_decided_authorizations_have_a_claim_response(clinician, fhir_client, approval):
    pending = AuthorizationFactory.create(
        order=approval.order, status=AuthorizationStatus.SUBMITTED, submitted_at=timezone.now()
    )
    denied = AuthorizationFactory.create(
        order=approval.order,
        status=AuthorizationStatus.DENIED,
        submitted_at=timezone.now(),
        decision_date=timezone.localdate(),
    )
    client = fhir_client(clinician)
    assert client.get(f"{BASE}/ClaimResponse/{pending.pk}").status_code == 404
    assert client.get(f"{BASE}/Coverage/{pending.pk}").status_code == 200
    claim = validated(client.get(f"{BASE}/ClaimResponse/{denied.pk}").json())
    assert claim.disposition == "Denied"
    assert claim.item[0].adjudication[0].category.coding[0].code == "denied"

    def found(**params: str) -> list[str]:
        response = client.get(f"{BASE}/ClaimResponse", params)
        assert response.status_code == 200, response.json()
        return [e.resource.id for e in validated(response.json()).entry or []]

    assert found() == [str(approval.pk), str(denied.pk)]
    assert found(disposition="approved") == [str(approval.pk)]
    assert found(disposition="den") == [str(denied.pk)]
    assert found(patient=str(approval.patient_id)) == [str(approval.pk), str(denied.pk)]
