"""``MedicationAdministration`` (FHIR R4): each completed infusion session's record.

Served: sessions whose status is completed (partial doses included). What was given is
``infusions.administration.given.session_given``'s answer (the completion entry's volume and
grams, as the session page shows), read from the record without planning the order (``_given``);
entries corrected by a later entry are left out. A page reads its sessions' records in one query.

=============================  ==============================================================
FHIR element                   source
=============================  ==============================================================
``id``                         ``InfusionSession.pk``
``identifier[0]``              ``SESSION_SYSTEM`` | ``InfusionSession.pk``
``status``                     completed
``statusReason[]``             "Partial dose" when ``partial_dose``; each adverse event's
                               stop: its ``details`` and ``action``
``contained[0]``               a ``Medication`` (``#product``): the order's product
                               (``code.text`` brand and generic name) with ``batch.lotNumber``
                               the lot numbers recorded (several joined by ", ")
``medicationReference``        ``#product``
``subject``                    ``Patient/{patient.pk}``
``request``                    ``MedicationRequest/{order.pk}``
``effectivePeriod``            the started entry's ``occurred_at`` to the completion's
``performer[0].actor.display`` the user who recorded the completion
``dosage.dose``                grams given (``Given.grams``), UCUM ``g``
``dosage.rateQuantity``        the last rate run (mL/h), UCUM ``mL/h``
``dosage.text``                "{volume} mL, {grams} g given"
``note[]``                     the rate changes ("{time}: {rate} mL/h") and each lot with
                               its vials ("Lot A123: 3 vials of 10 g")
=============================  ==============================================================
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Model, Prefetch, QuerySet
from django.utils import timezone
from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medication import Medication, MedicationBatch
from fhir.resources.R4B.medicationadministration import (
    MedicationAdministration,
    MedicationAdministrationDosage,
    MedicationAdministrationPerformer,
)
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from rest_framework.request import Request

from infusions.administration.given import Given, latest_completion, session_given
from infusions.administration.record import infusion_state
from infusions.booking.session_plan import session_runnable_plan
from infusions.errors import InfusionError
from infusions.models import AdministrationEntry, EntryKind, InfusionSession, SessionStatus
from infusions.policies import can_read_schedule
from interop.fhir import PatientDataEndpoint, SearchParameter
from interop.resources.medication import product_name
from interop.resources.observation import UCUM, patient_q
from interop.resources.patient import id_q, patient_reference
from ivig.audit.services import access_record_ids

SESSION_SYSTEM = "urn:ivig:infusion-session"


def _number(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():f}"


# The record in time order, with who recorded each entry (``ENTRIES``: prefetched for a page).
ENTRIES = "fhir_entries"


def _entries() -> QuerySet[AdministrationEntry]:
    return AdministrationEntry.objects.select_related("recorded_by").order_by("occurred_at", "pk")


def live_entries(session: InfusionSession) -> list[AdministrationEntry]:
    """The record less the entries a later entry corrected, in time order (the rows prefetched
    by the endpoint, else read)."""
    rows = getattr(session, ENTRIES, None)
    if rows is None:
        rows = list(_entries().filter(session=session))
    corrected = {row.correction_of_id for row in rows if row.correction_of_id}
    return [row for row in rows if row.pk not in corrected]


def _given(session: InfusionSession, rows: list[AdministrationEntry]) -> tuple[Decimal, Decimal]:
    """(volume mL, grams) given: ``session_given``'s answer, read from the record where the
    record settles it without the day's plan, so a page never plans its orders: the completion
    entry's volume and grams (what the nurse recorded; every completion through the services
    has both), or nothing given when the infusion never started. Only a record the services
    cannot make (started, completed, no completion amounts) is worked out from its rates and
    times against the day's plan, as the session page does; when the order cannot be planned
    today, what the completion entry holds."""
    completion = latest_completion(rows)
    if completion is not None and completion.volume_ml is not None:
        return completion.volume_ml, completion.grams_given or Decimal(0)
    if not infusion_state(rows).started:
        return Decimal(0), Decimal(0)
    try:
        given: Given = session_given(session, session_runnable_plan(session), entries=rows)
        return given.volume_ml, given.grams
    except InfusionError:
        grams = completion.grams_given if completion else None
        return Decimal(0), grams or Decimal(0)


def _status_reasons(session: InfusionSession, rows: list[AdministrationEntry]) -> list[Any]:
    """ "Partial dose", then each adverse event's stop (its details and action)."""
    reasons = [CodeableConcept(text="Partial dose")] if session.partial_dose else []
    reasons += [
        CodeableConcept(text="; ".join(part for part in (r.details, r.action) if part) or "Stop")
        for r in rows
        if r.kind == EntryKind.ADVERSE_EVENT
    ]
    return reasons


def _rate_note(row: AdministrationEntry) -> Annotation:
    return Annotation(
        text=f"{timezone.localtime(row.occurred_at):%H:%M}: {row.rate_ml_per_h} mL/h",
        time=row.occurred_at,
    )


def _lot_note(row: AdministrationEntry) -> Annotation:
    vials = ""
    if row.vial_count and row.vial_size_g:
        vials = f": {row.vial_count} vial(s) of {_number(row.vial_size_g)} g"
    return Annotation(text=f"Lot {row.lot_number}{vials}")


def _contained_medication(session: InfusionSession, lots: list[AdministrationEntry]) -> Medication:
    """The order's product, ``batch.lotNumber`` the lots recorded (several joined by ", ")."""
    batch = None
    if lots:
        batch = MedicationBatch(lotNumber=", ".join(dict.fromkeys(r.lot_number for r in lots)))
    return Medication(
        id="product", code=CodeableConcept(text=product_name(session.order.product)), batch=batch
    )


def _performer(
    completion: AdministrationEntry | None,
) -> list[MedicationAdministrationPerformer] | None:
    if completion is None:
        return None
    return [
        MedicationAdministrationPerformer(
            actor=Reference(display=completion.recorded_by.get_username())
        )
    ]


def _dosage(
    volume_ml: Decimal, grams: Decimal, last_rate: Decimal | int | None
) -> MedicationAdministrationDosage:
    rate = None
    if last_rate is not None:
        rate = Quantity(value=Decimal(last_rate), unit="mL/h", system=UCUM, code="mL/h")
    return MedicationAdministrationDosage(
        text=f"{_number(volume_ml)} mL, {_number(grams)} g given",
        dose=Quantity(value=grams, unit="g", system=UCUM, code="g"),
        rateQuantity=rate,
    )


def _period(
    session: InfusionSession,
    rows: list[AdministrationEntry],
    completion: AdministrationEntry | None,
) -> Period:
    """From the start entry (else the planned start) to the completion entry."""
    started = next((r for r in rows if r.kind == EntryKind.STARTED), None)
    return Period(
        start=started.occurred_at if started else session.planned_start,
        end=completion.occurred_at if completion else None,
    )


def administration_resource(session: InfusionSession) -> MedicationAdministration:
    rows = live_entries(session)
    volume_ml, grams = _given(session, rows)
    completion = latest_completion(rows)
    lots = [r for r in rows if r.kind == EntryKind.LOT_RECORDED and r.lot_number]
    rates = [r for r in rows if r.rate_ml_per_h is not None and r.kind in _RATE_KINDS]
    notes = [_rate_note(r) for r in rates] + [_lot_note(r) for r in lots]
    return MedicationAdministration(
        id=str(session.pk),
        identifier=[Identifier(system=SESSION_SYSTEM, value=str(session.pk))],
        contained=[_contained_medication(session, lots)],
        status="completed",
        statusReason=_status_reasons(session, rows) or None,
        medicationReference=Reference(reference="#product"),
        subject=Reference(**patient_reference(session.patient)),
        request=Reference(reference=f"MedicationRequest/{session.order_id}"),
        effectivePeriod=_period(session, rows, completion),
        performer=_performer(completion),
        dosage=_dosage(volume_ml, grams, rates[-1].rate_ml_per_h if rates else None),
        note=notes or None,
    )


_RATE_KINDS = frozenset({EntryKind.STARTED, EntryKind.RATE_CHANGED, EntryKind.RESTARTED})

SEARCH_PARAMETERS = (
    SearchParameter("_id", "token", "The logical id (the session).", id_q, "1"),
    SearchParameter(
        "patient",
        "reference",
        "The patient: Patient/{id} or {id}.",
        lambda value: patient_q(value).by_source["lab"],
        "1",
    ),
)


class MedicationAdministrationEndpoint(PatientDataEndpoint):
    """Completed sessions: whoever reads the schedule's sessions reads them."""

    resource_type = "MedicationAdministration"
    policy = staticmethod(can_read_schedule)
    search_parameters = SEARCH_PARAMETERS

    def rows(self) -> QuerySet[InfusionSession]:
        return (
            InfusionSession.objects.filter(status=SessionStatus.COMPLETED)
            .select_related("patient", "order__product")
            .prefetch_related(Prefetch("entries", _entries(), to_attr=ENTRIES))
            .order_by("pk")
        )

    def to_resource(self, row: Any) -> MedicationAdministration:
        return administration_resource(row)

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(
            request._request,
            "infusions.infusionsession",
            [row.pk for row in rows],
        )
        access_record_ids(
            request._request,
            "orders.patient",
            [row.patient_id for row in rows],  # type: ignore[attr-defined]
        )
