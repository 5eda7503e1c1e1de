"""FHIR MedicationAdministration from a completed session's record (recorded through the
administration services, as a nurse does)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from infusions.administration import services as administration
from infusions.administration.entries import parse_entry
from infusions.administration.given import session_given
from infusions.booking.session_plan import session_runnable_plan
from infusions.models import InfusionSession
from ivig.audit.models import AccessLog
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at
from tests.interop.conftest import (
    BASE,
    completed_session,
    searched_without_planning,
    validated,
)

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


def _completed_in_database(nurse, day_offset: int, **completion: Any) -> InfusionSession:
    """A completed session of a new order straight in the database, ``day_offset`` days before
    yesterday, with its start and completion (``completion``: its fields) or no record."""
    order = verified_order(status=OrderStatus.ACTIVE)
    start = yesterday_at("09:00") - timedelta(days=day_offset)
    return completed_session(order, ChairFactory.create(), start, nurse, completion or None)


def _dose(client, session: InfusionSession) -> tuple[Decimal, str]:
    response = client.get(f"{BASE}/MedicationAdministration/{session.pk}")
    assert response.status_code == 200, response.json()
    dosage = validated(response.json()).dosage
    return Decimal(str(dosage.dose.value)), dosage.text


def test_what_was_given_is_the_session_page_s_answer_without_a_completion_too(nurse, fhir_client):
    """``session_given``'s answer in every shape of record: the completion's amounts; nothing
    given when the infusion never started (``seed_scale``'s completed sessions); a start and a
    completion without amounts (no service records one) worked out against the day's plan."""
    client = fhir_client(nurse)
    recorded = _completed_in_database(nurse, 0, volume_ml="200", grams_given="20")
    never_started = _completed_in_database(nurse, 1)
    without_amounts = _completed_in_database(nurse, 2, volume_ml=None, grams_given=None)
    for session, grams in ((recorded, "20"), (never_started, "0"), (without_amounts, None)):
        given = session_given(session, session_runnable_plan(session))
        dose, text = _dose(client, session)
        assert dose == given.grams
        assert text == f"{given.volume_ml.normalize():f} mL, {given.grams.normalize():f} g given"
        if grams is not None:
            assert dose == Decimal(grams)
    assert _dose(client, without_amounts)[0] > 0  # the rates and times ran


def test_a_search_never_plans_and_its_queries_do_not_grow(nurse, fhir_client, monkeypatch):
    """A page reads its sessions and their records in a bounded number of queries, the same for
    2 sessions as for 5, and plans no order (issue 21: never the engine per row)."""
    client = fhir_client(nurse)
    counted = []
    for size in (2, 5):
        while InfusionSession.objects.count() < size:
            _completed_in_database(
                nurse, InfusionSession.objects.count(), volume_ml="250", grams_given="25"
            )
        bundle, queries = searched_without_planning(
            client, f"{BASE}/MedicationAdministration", monkeypatch, SEARCH_QUERIES
        )
        counted.append(queries)
        assert bundle.total == size == len(bundle.entry)
        assert {entry.resource.dosage.dose.value for entry in bundle.entry} == {25}
        assert {entry.resource.performer[0].actor.display for entry in bundle.entry} == {
            nurse.get_username()
        }
    assert counted[0] == counted[1]


# The token with its user, the user's groups; the count, the page, its entries (with who recorded
# them); the read log.
SEARCH_QUERIES = 6
