"""FHIR MedicationAdministration from a completed session's record (recorded through the
administration services, as a nurse does)."""

from decimal import Decimal

import pytest

from infusions.administration import services as administration
from infusions.administration.entries import parse_entry
from infusions.administration.given import session_given
from infusions.booking.session_plan import session_runnable_plan
from infusions.models import InfusionSession
from ivig.audit.models import AccessLog
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at
from tests.interop.conftest import BASE, validated

pytestmark = pytest.mark.django_db


def record(session, nurse, kind, clock, **data):
    return administration.administration_record(
        session, parse_entry({"kind": kind, **data}), by=nurse, occurred_at=yesterday_at(clock)
    )


@pytest.fixture
def completed(nurse) -> InfusionSession:
    order = verified_order(status=OrderStatus.ACTIVE)
    session = session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    plan = session_runnable_plan(session)
    assert plan.titration
    second = plan.titration[1].rate_ml_per_h
    # The second step begins this many minutes after the 09:30 start (the label's steps, v3).
    second_at = 9 * 60 + 30 + plan.titration[1].start_min
    record(
        session, nurse, "lot_recorded", "09:12", lot_number="A123", vial_size_g="20", vial_count=1
    )
    record(
        session, nurse, "lot_recorded", "09:12", lot_number="A124", vial_size_g="5", vial_count=1
    )
    record(session, nurse, "started", "09:30")
    record(
        session,
        nurse,
        "rate_changed",
        f"{second_at // 60:02d}:{second_at % 60:02d}",
        rate_ml_per_h=second,
    )
    record(session, nurse, "completed", "16:00", volume_ml="250", grams_given="25")
    session.refresh_from_db()
    return session


def test_a_completed_session_reads_back_what_was_given(nurse, fhir_client, completed):
    response = fhir_client(nurse).get(f"{BASE}/MedicationAdministration/{completed.pk}")
    assert response.status_code == 200, response.json()
    administration_ = validated(response.json())
    given = session_given(completed, session_runnable_plan(completed))
    assert administration_.status == "completed"
    assert administration_.dosage.dose.value == given.grams == Decimal("25")
    assert administration_.dosage.dose.code == "g"
    assert "250 mL" in administration_.dosage.text
    [medication] = administration_.contained
    assert administration_.medicationReference.reference == f"#{medication.id}"
    assert medication.batch.lotNumber == "A123, A124"
    assert administration_.request.reference == f"MedicationRequest/{completed.order_id}"
    assert administration_.subject.reference == f"Patient/{completed.patient_id}"
    assert administration_.effectivePeriod.start == yesterday_at("09:30")
    assert administration_.effectivePeriod.end == yesterday_at("16:00")
    assert administration_.performer[0].actor.display == nurse.get_username()
    plan = session_runnable_plan(completed)
    assert plan.titration
    assert administration_.dosage.rateQuantity.value == plan.titration[1].rate_ml_per_h
    notes = [note.text for note in administration_.note]
    assert notes[0] == f"09:30: {plan.titration[0].rate_ml_per_h} mL/h"
    assert notes[1].endswith(f": {plan.titration[1].rate_ml_per_h} mL/h")
    assert notes[2:] == ["Lot A123: 1 vial(s) of 20 g", "Lot A124: 1 vial(s) of 5 g"]
    assert administration_.statusReason is None  # a full dose, no stop


def test_a_session_not_completed_is_not_served(nurse, fhir_client):
    order = verified_order(status=OrderStatus.ACTIVE)
    session = session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    response = fhir_client(nurse).get(f"{BASE}/MedicationAdministration/{session.pk}")
    assert response.status_code == 404


def test_search_by_patient_logs_sessions_and_patient(nurse, fhir_client, completed):
    bundle = validated(
        fhir_client(nurse)
        .get(f"{BASE}/MedicationAdministration", {"patient": f"Patient/{completed.patient_id}"})
        .json()
    )
    assert [e.resource.id for e in bundle.entry] == [str(completed.pk)]
    [log] = AccessLog.objects.all()
    assert log.records == {
        "infusions.infusionsession": [str(completed.pk)],
        "orders.patient": [str(completed.patient_id)],
    }
