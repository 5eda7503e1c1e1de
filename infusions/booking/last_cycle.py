"""The patient's last cycle given, for the orders app's engine inputs (docs/clinical-rules.md
3.8.2, HEMOLYSIS_SUSPECTED): registered at start-up as orders' ``LastCycleSource``
(``last_cycles_of``, many patients at once)."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import OuterRef, Subquery

from infusions.booking.models import InfusionSession, SessionStatus
from infusions.common import local
from ivig.engine import CycleFacts
from ivig.engine.dosing import ordered_cycle_dose_g_per_kg
from orders.models import Patient

# Sessions whose infusion was given (or is being given).
GIVEN_STATUSES = (SessionStatus.COMPLETED, SessionStatus.IN_PROGRESS)


def patient_last_cycle(patient: Patient, as_of: date) -> CycleFacts | None:
    """The patient's last cycle given on or before ``as_of`` (``last_cycles_of`` for one
    patient)."""
    return last_cycles_of([patient], as_of)[patient.pk]


def last_cycles_of(patients: Sequence[Patient], as_of: date) -> dict[int, CycleFacts | None]:
    """Per patient id, the cycle of the patient's latest session given on or before ``as_of``:
    its first and last day given, and its dose per cycle as ordered (g/kg); None when nothing was
    given. One query, whatever the number of patients and their history: each one's last cycle's
    sessions with their order's regimen."""
    given = InfusionSession.objects.filter(status__in=GIVEN_STATUSES)
    latest = given.filter(patient_id=OuterRef("patient_id"), planned_day__lte=as_of).order_by(
        "-planned_start", "-id"
    )
    rows = (
        given.filter(
            patient_id__in=[patient.pk for patient in patients],
            order_id=Subquery(latest.values("order_id")[:1]),
            cycle_number=Subquery(latest.values("cycle_number")[:1]),
        )
        .order_by()  # one cycle's sessions: their order does not matter
        .values(
            "patient_id",
            "planned_start",
            "order__total_dose_g_per_kg",
            "order__daily_dose_mg_per_kg",
            "order__days_per_cycle",
        )
    )
    sessions: dict[int, list[Mapping[str, Any]]] = {patient.pk: [] for patient in patients}
    for row in rows:
        sessions[row["patient_id"]].append(row)
    return {pk: _cycle_facts(cycle) for pk, cycle in sessions.items()}


def _cycle_facts(sessions: Sequence[Mapping[str, Any]]) -> CycleFacts | None:
    """The cycle ``sessions`` (one cycle's, given: their start and their order's regimen) make:
    None when there are none or their order names no dose."""
    if not sessions:
        return None
    order = sessions[0]
    days = sorted(local(session["planned_start"]).date() for session in sessions)
    dose = ordered_cycle_dose_g_per_kg(
        total_dose_g_per_kg=order["order__total_dose_g_per_kg"],
        daily_dose_mg_per_kg=order["order__daily_dose_mg_per_kg"],
        days_per_cycle=order["order__days_per_cycle"],
    )
    if dose is None:
        return None
    return CycleFacts(first_day=days[0], last_day=days[-1], dose_g_per_kg=dose)
