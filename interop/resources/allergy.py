"""``AllergyIntolerance`` (FHIR R4): the allergies recorded on a patient.

The record holds allergies as a clinician's free text (``Patient.allergies``), not coded
substances: one ``AllergyIntolerance`` per patient whose text is not empty, its ``code.text``
the text as written. An empty text means "not recorded", never "no known allergies": such a
patient has no ``AllergyIntolerance`` (and none is invented).

=============================  ==============================================================
FHIR element                   source
=============================  ==============================================================
``id``                         ``Patient.pk``
``clinicalStatus``             allergyintolerance-clinical ``active``
``verificationStatus``         allergyintolerance-verification ``unconfirmed`` (free text
                               typed on the record, not a coded, verified reaction history)
``code.text``                  ``Patient.allergies`` as written
``patient``                    ``Patient/{patient.pk}``
``recorder``                   none (the record keeps who changed the patient in its history)
=============================  ==============================================================
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import Model, QuerySet
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.reference import Reference
from rest_framework.request import Request

from interop.fhir import PatientDataEndpoint, SearchParameter
from interop.resources.observation import patient_q
from interop.resources.patient import id_q, patient_reference
from ivig.audit.services import access_record_ids
from orders.models import Patient
from orders.policies import can_read_patients

CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"


def allergy_resource(patient: Patient) -> AllergyIntolerance:
    return AllergyIntolerance(
        id=str(patient.pk),
        clinicalStatus=CodeableConcept(coding=[Coding(system=CLINICAL, code="active")]),
        verificationStatus=CodeableConcept(
            coding=[Coding(system=VERIFICATION, code="unconfirmed")]
        ),
        code=CodeableConcept(text=patient.allergies.strip()),
        patient=Reference(**patient_reference(patient)),
    )


SEARCH_PARAMETERS = (
    SearchParameter("_id", "token", "The logical id (the patient's).", id_q, "1"),
    SearchParameter(
        "patient",
        "reference",
        "The patient: Patient/{id} or {id}.",
        lambda value: patient_q(value).by_source["height"],
        "1",
    ),
)


class AllergyIntoleranceEndpoint(PatientDataEndpoint):
    """Allergies: whoever reads patients reads them."""

    resource_type = "AllergyIntolerance"
    policy = staticmethod(can_read_patients)
    search_parameters = SEARCH_PARAMETERS

    def rows(self) -> QuerySet[Patient]:
        # Not empty (the index ``patient_with_allergies``), then not blank either.
        return (
            Patient.objects.exclude(allergies="").exclude(allergies__regex=r"^\s*$").order_by("pk")
        )

    def to_resource(self, row: Any) -> AllergyIntolerance:
        return allergy_resource(row)

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(request._request, "orders.patient", [row.pk for row in rows])
