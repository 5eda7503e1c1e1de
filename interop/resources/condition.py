"""``Condition`` (FHIR R4): the indication an order treats, with its ICD-10-CM code.

One ``Condition`` per order version served as a ``MedicationRequest`` (the same rows: every
version past draft), so that ``MedicationRequest/{id}`` and ``Condition/{id}`` are the same
order's treatment and its reason. The app records the indication an order treats, not the
course of the disease: a condition is ``active`` while its order is open, and its clinical
status is left unstated once the order has ended (an ended course says nothing of remission).

=============================  ==============================================================
FHIR element                   source
=============================  ==============================================================
``id``                         ``Order.pk`` (the order version, as ``MedicationRequest``)
``identifier[0]``              ``urn:ivig:order`` ``{lineage}-{revision}`` (the order's)
``clinicalStatus``             condition-clinical ``active`` while the order is signed,
                               verified or active; absent once completed or discontinued
``verificationStatus``         condition-ver-status ``confirmed`` (a clinician signed it)
``code``                       ``Indication.icd10_code`` under ICD-10-CM when recorded;
                               ``text`` ``Indication.name``
``subject``                    ``Patient/{patient.pk}``
``recordedDate``               ``Order.signed_at``
``recorder.display``           the signer's user name
``note[0]``                    "Treated by MedicationRequest/{id}"
=============================  ==============================================================
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import Model, Q, QuerySet
from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.reference import Reference
from rest_framework.request import Request

from interop.fhir import PatientDataEndpoint, SearchParameter
from interop.resources.medication_request import ICD10CM, ORDER_SYSTEM, STATUS
from interop.resources.observation import patient_q
from interop.resources.patient import id_q, patient_reference
from ivig.audit.services import access_record_ids
from orders.dose_plans.plan_accessor import OPEN_STATUSES, lineage_id
from orders.models import Order
from orders.policies import can_read_orders

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def _concept(system: str, code: str) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code)])


def condition_resource(order: Order) -> Condition:
    indication = order.indication
    return Condition(
        id=str(order.pk),
        identifier=[Identifier(system=ORDER_SYSTEM, value=f"{lineage_id(order)}-{order.revision}")],
        clinicalStatus=_concept(CLINICAL, "active") if order.status in OPEN_STATUSES else None,
        verificationStatus=_concept(VERIFICATION, "confirmed"),
        code=CodeableConcept(
            coding=[Coding(system=ICD10CM, code=indication.icd10_code)]
            if indication.icd10_code
            else None,
            text=indication.name,
        ),
        subject=Reference(**patient_reference(order.patient)),
        recordedDate=order.signed_at,
        recorder=Reference(display=order.signed_by.get_username()) if order.signed_by else None,
        note=[Annotation(text=f"Treated by MedicationRequest/{order.pk}")],
    )


def code_q(value: str) -> Q:
    """token: ``system|code`` (ICD-10-CM) or ``code``."""
    system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
    if system not in ("", ICD10CM) or not code:
        return Q(pk__in=[])
    return Q(indication__icd10_code__iexact=code)


def clinical_status_q(value: str) -> Q:
    code = value.rpartition("|")[2]
    return Q(status__in=OPEN_STATUSES) if code == "active" else Q(pk__in=[])


SEARCH_PARAMETERS = (
    SearchParameter("_id", "token", "The logical id (the order version).", id_q, "1"),
    SearchParameter(
        "patient",
        "reference",
        "The patient: Patient/{id} or {id}.",
        lambda value: patient_q(value).by_source["lab"],
        "1",
    ),
    SearchParameter(
        "subject", "reference", "As patient.", lambda v: patient_q(v).by_source["lab"], "Patient/1"
    ),
    SearchParameter("code", "token", "ICD-10-CM (system|code or code).", code_q, "L10.0"),
    SearchParameter(
        "clinical-status", "token", "active (the order is open).", clinical_status_q, "active"
    ),
)


class ConditionEndpoint(PatientDataEndpoint):
    """Indications: whoever reads orders reads them (they are the orders' reasons)."""

    resource_type = "Condition"
    policy = staticmethod(can_read_orders)
    search_parameters = SEARCH_PARAMETERS

    def rows(self) -> QuerySet[Order]:
        return (
            Order.objects.filter(status__in=list(STATUS))
            .select_related("patient", "indication", "signed_by")
            # The plan and findings at signing are not a condition's: not read.
            .defer("plan_at_signing", "findings_at_signing")
            .order_by("pk")
        )

    def to_resource(self, row: Any) -> Condition:
        return condition_resource(row)

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(request._request, "orders.order", [row.pk for row in rows])
        access_record_ids(
            request._request,
            "orders.patient",
            [row.patient_id for row in rows],  # type: ignore[attr-defined]
        )
