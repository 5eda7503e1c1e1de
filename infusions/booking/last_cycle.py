"""The patient's last cycle given, for the orders app's engine inputs (docs/clinical-rules.md
3.8.2, HEMOLYSIS_SUSPECTED): registered at start-up as orders' ``LastCycleSource``."""

from datetime import date

from django.db.models import Subquery

from infusions.booking.models import InfusionSession, SessionStatus
from infusions.common import local
from ivig.engine import CycleFacts
from ivig.engine.dosing import ordered_cycle_dose_g_per_kg
from orders.models import Patient

# Sessions whose infusion was given (or is being given).
GIVEN_STATUSES = (SessionStatus.COMPLETED, SessionStatus.IN_PROGRESS)


def patient_last_cycle(patient: Patient, as_of: date) -> CycleFacts | None:
    """The cycle of the patient's latest session given on or before ``as_of``: its first and
    last day given, and its dose per cycle as ordered (g/kg); None when nothing was given. One
    query, whatever the patient's history: that cycle's sessions with their order."""
    given = InfusionSession.objects.filter(patient_id=patient.pk, status__in=GIVEN_STATUSES)
    latest = given.filter(planned_day__lte=as_of).order_by("-planned_start", "-id")
    sessions = list(
        given.filter(
            order_id=Subquery(latest.values("order_id")[:1]),
            cycle_number=Subquery(latest.values("cycle_number")[:1]),
        ).select_related("order")
    )
    if not sessions:
        return None
    order = sessions[0].order
    days = sorted(local(session.planned_start).date() for session in sessions)
    dose = ordered_cycle_dose_g_per_kg(
        total_dose_g_per_kg=order.total_dose_g_per_kg,
        daily_dose_mg_per_kg=order.daily_dose_mg_per_kg,
        days_per_cycle=order.days_per_cycle,
    )
    if dose is None:
        return None
    return CycleFacts(first_day=days[0], last_day=days[-1], dose_g_per_kg=dose)
