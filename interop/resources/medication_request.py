"""``MedicationRequest`` (FHIR R4): the order version in force, its plan from the one plan
accessor (``orders.dose_plans.plan_accessor.order_plan`` as of today, as the order page shows it).

Served: every order version past draft that no newer version superseded (signed, verified,
active, completed, discontinued). Drafts and superseded versions are not served.

=============================  ==============================================================
FHIR element                   source
=============================  ==============================================================
``id``                         ``Order.pk`` (this version)
``identifier[0]``              ``ORDER_SYSTEM`` | ``{lineage}-{revision}`` (the order and its
                               version, stable across the versions' ids)
``status``                     ``STATUS``: signed → draft (awaits verification), verified and
                               active → active, completed → completed, discontinued → stopped
``statusReason.text``          ``discontinue_reason`` (discontinued)
``intent``                     order
``medicationReference``        ``Medication/{product.pk}`` (the formulary product)
``subject``                    ``Patient/{patient.pk}``
``authoredOn``                 ``signed_at``; ``requester.display`` the signer's user name
``reasonCode[0]``              the indication: ICD-10-CM ``icd10_code``, ``text`` its name
``dosageInstruction[0]``
  ``text``                     "{daily_dose_g} g per day, {days_per_cycle} day(s) per cycle,
                               {cycles} cycle(s) every {cycle_interval_days} days"
  ``timing.event``             every planned day (``plan.cycles[].days``); no ``repeat``
  ``timing.code.text``         "{days_per_cycle} day(s) per cycle, {cycles} cycle(s) every
                               {cycle_interval_days} days"
  ``route``                    intravenous
  ``doseAndRate[0]``           ``type`` ordered, ``doseQuantity`` ``plan.daily_dose_g`` g
  ``doseAndRate[1..]``         one per titration step: ``type.text`` "step N: from minute M
                               for m min, v mL", ``rateQuantity`` ``rate_ml_per_h`` mL/h
``note[]``                     "Dosing weight {dosing_weight_kg} kg ({dosing_weight_basis})",
                               "Premedication: …" (the lines in words; not separate requests yet)
=============================  ==============================================================
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.dosage import Dosage, DosageDoseAndRate
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.timing import Timing
from rest_framework.request import Request

from formulary.services import FormularyError
from interop.fhir import FhirError, PatientDataEndpoint, SearchParameter
from interop.resources.medication import product_name
from interop.resources.observation import UCUM, patient_q
from interop.resources.patient import id_q, patient_reference
from ivig.audit.services import access_record_ids
from ivig.engine import DosePlan
from orders.dose_plans.plan_accessor import lineage_id, order_plan
from orders.dose_plans.plan_facts import read_plan_facts
from orders.models import Order, OrderStatus, PremedicationLine
from orders.policies import can_read_orders
from orders.premedication.services import premedication_words

ORDER_SYSTEM = "urn:ivig:order"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
SNOMED = "http://snomed.info/sct"
# Elements every request carries alike, built (and validated) once: a model given as an element
# of another is taken as it is, not validated again.
ROUTE = CodeableConcept(
    coding=[Coding(system=SNOMED, code="47625008", display="Intravenous route")]
)
ORDERED = CodeableConcept(coding=[Coding(system=DOSE_RATE_TYPE, code="ordered")])
STATUS = {
    OrderStatus.SIGNED: "draft",
    OrderStatus.VERIFIED: "active",
    OrderStatus.ACTIVE: "active",
    OrderStatus.COMPLETED: "completed",
    OrderStatus.DISCONTINUED: "stopped",
}


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value).normalize():f}"


def _dosage(order: Order) -> tuple[Dosage, DosePlan]:
    try:
        plan = order_plan(order, as_of=timezone.localdate()).plan
    except FormularyError as error:
        raise FhirError(409, "business-rule", error.message) from error
    daily = plan.daily_dose_g
    days: list[date] = [day for cycle in plan.cycles or [] for day in cycle.days]
    text = (
        f"{_number(daily)} g per day, " if daily is not None else "No dose (see the order), "
    ) + (
        f"{order.days_per_cycle} day(s) per cycle, {order.cycles} cycle(s) every "
        f"{order.cycle_interval_days} days"
    )
    rates = [
        DosageDoseAndRate(
            type=CodeableConcept(
                text=(
                    f"step {number}: from minute {step.start_min} for "
                    f"{_number(step.minutes)} min, {_number(step.volume_ml)} mL"
                )
            ),
            rateQuantity=Quantity(
                value=Decimal(step.rate_ml_per_h), unit="mL/h", system=UCUM, code="mL/h"
            ),
        )
        for number, step in enumerate(plan.titration or [], start=1)
    ]
    dose = (
        [
            DosageDoseAndRate(
                type=ORDERED,
                doseQuantity=Quantity(value=Decimal(daily), unit="g", system=UCUM, code="g"),
            )
        ]
        if daily is not None
        else []
    )
    return Dosage(
        sequence=1,
        text=text,
        # The planned days themselves: a ``repeat`` (daily within a bounds period) would tell a
        # reader to infuse every day between the first and the last.
        timing=Timing(
            event=days or None,
            code=CodeableConcept(
                text=(
                    f"{order.days_per_cycle} day(s) per cycle, {order.cycles} cycle(s) every "
                    f"{order.cycle_interval_days} days"
                )
            ),
        ),
        route=ROUTE,
        doseAndRate=(dose + rates) or None,
    ), plan


def _status_reason(order: Order) -> CodeableConcept | None:
    """Why it stopped: the discontinuation's reason; a superseded version (never served by the
    reads, only pushed to the EHR, docs/fhir.md "Out") was replaced by a newer one."""
    if order.status == OrderStatus.DISCONTINUED and order.discontinue_reason:
        return CodeableConcept(text=order.discontinue_reason)
    if order.status == OrderStatus.SUPERSEDED:
        return CodeableConcept(text="Replaced by a newer version of the order")
    return None


def medication_request(order: Order) -> MedicationRequest:
    dosage, plan = _dosage(order)
    notes = []
    if plan.dosing_weight_kg is not None:
        basis = str(plan.dosing_weight_basis or "unknown")
        notes.append(
            Annotation(text=f"Dosing weight {_number(plan.dosing_weight_kg)} kg ({basis})")
        )
    premedication = premedication_words(order)
    if premedication:
        notes.append(Annotation(text=f"Premedication: {premedication}"))
    indication = order.indication
    return MedicationRequest(
        id=str(order.pk),
        identifier=[Identifier(system=ORDER_SYSTEM, value=f"{lineage_id(order)}-{order.revision}")],
        status=STATUS.get(OrderStatus(order.status), "stopped"),
        statusReason=_status_reason(order),
        intent="order",
        medicationReference=Reference(
            reference=f"Medication/{order.product_id}", display=product_name(order.product)
        ),
        subject=Reference(**patient_reference(order.patient)),
        authoredOn=order.signed_at,
        requester=Reference(display=order.signed_by.get_username()) if order.signed_by else None,
        reasonCode=[
            CodeableConcept(
                coding=[Coding(system=ICD10CM, code=indication.icd10_code)]
                if indication.icd10_code
                else None,
                text=indication.name,
            )
        ],
        reasonReference=[Reference(reference=f"Condition/{order.pk}")],
        dosageInstruction=[dosage],
        note=notes or None,
    )


def status_q(value: str) -> Q:
    statuses = [ours for ours, theirs in STATUS.items() if theirs == value]
    return Q(status__in=statuses)


SEARCH_PARAMETERS = (
    SearchParameter("_id", "token", "The logical id (this version).", id_q, "1"),
    SearchParameter(
        "patient",
        "reference",
        "The patient: Patient/{id} or {id}.",
        lambda value: patient_q(value).by_source["lab"],
        "1",
    ),
    SearchParameter(
        "status", "token", "draft, active, completed or stopped (as mapped).", status_q, "active"
    ),
)


class MedicationRequestEndpoint(PatientDataEndpoint):
    """Orders: whoever reads orders on the pages reads them here."""

    resource_type = "MedicationRequest"
    policy = staticmethod(can_read_orders)
    search_parameters = SEARCH_PARAMETERS

    def rows(self) -> QuerySet[Order]:
        return (
            Order.objects.filter(status__in=list(STATUS))
            .select_related("patient", "product", "indication", "signed_by")
            .prefetch_related(
                Prefetch("premedication_lines", PremedicationLine.objects.select_related("drug")),
                "overrides",
            )
            .order_by("pk")
        )

    def prepare(self, rows: Sequence[Any]) -> None:
        # The plans of the page's orders as of today: their facts read for the page at once.
        read_plan_facts(rows, as_of=timezone.localdate())

    def to_resource(self, row: Any) -> MedicationRequest:
        return medication_request(row)

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(request._request, "orders.order", [row.pk for row in rows])
        access_record_ids(
            request._request,
            "orders.patient",
            [row.patient_id for row in rows],  # type: ignore[attr-defined]
        )
