"""``Patient`` (FHIR R4) from ``orders.Patient``; search by identifier, name, birthdate, gender.

=============================  ==============================================================
FHIR element                   source
=============================  ==============================================================
``id``                         ``Patient.pk``
``meta.versionId``             ``Patient.version`` (the record's optimistic-concurrency count)
``meta.lastUpdated``           ``Patient.updated_at``
``identifier[0]``              ``Patient.mrn``: ``use`` usual, ``type`` v2-0203 ``MR``,
                               ``system`` ``settings.FHIR_MRN_SYSTEM``
``name[0]``                    ``use`` official, ``family`` ``family_name``,
                               ``given`` [``given_name``]
``gender``                     ``Patient.sex`` (female, male)
``birthDate``                  ``Patient.date_of_birth``
=============================  ==============================================================

Not stated: blood group, IgA status, risk factors, pregnancy, allergies and notes (allergies are
``AllergyIntolerance``, not yet served; see docs/fhir.md).
"""

import calendar
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.meta import Meta
from fhir.resources.R4B.patient import Patient as FhirPatient
from rest_framework.request import Request

from interop.fhir import FhirError, PatientDataEndpoint, SearchParameter, record_id
from ivig.audit.services import access_record_ids
from orders.models import Patient, Sex
from orders.policies import can_read_patients

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
GENDERS = {Sex.FEMALE: "female", Sex.MALE: "male"}
# FHIR's administrative genders the record cannot hold: a search for them finds no one.
OTHER_GENDERS = frozenset({"other", "unknown"})


def mrn_system() -> str:
    return str(settings.FHIR_MRN_SYSTEM)


def patient_resource(patient: Patient) -> FhirPatient:
    return FhirPatient(
        id=str(patient.pk),
        meta=Meta(versionId=str(patient.version), lastUpdated=patient.updated_at),
        identifier=[
            Identifier(
                use="usual",
                type=CodeableConcept(
                    coding=[Coding(system=V2_0203, code="MR", display="Medical record number")],
                    text="MRN",
                ),
                system=mrn_system(),
                value=patient.mrn,
            )
        ],
        name=[HumanName(use="official", family=patient.family_name, given=[patient.given_name])],
        gender=GENDERS[Sex(patient.sex)],
        birthDate=patient.date_of_birth,
    )


def patient_reference(patient: Patient) -> dict[str, str]:
    """Keyword arguments of a ``Reference`` to the patient (for other resources' ``subject``)."""
    return {
        "reference": f"Patient/{patient.pk}",
        "display": f"{patient.family_name}, {patient.given_name}",
    }


# --- search parameters -----------------------------------------------------------------------


def identifier_q(value: str) -> Q:
    """token: ``system|value``, ``|value`` (no system: none match) or ``value``."""
    if "|" in value:
        system, _, code = value.partition("|")
        if system != mrn_system() or not code:
            return Q(pk__in=[])
        return Q(mrn=code)
    return Q(mrn=value)


def name_q(value: str) -> Q:
    """string: family or given name starts with the value, case-insensitive."""
    return Q(family_name__istartswith=value) | Q(given_name__istartswith=value)


def gender_q(value: str) -> Q:
    if value in OTHER_GENDERS:
        return Q(pk__in=[])
    if value not in GENDERS.values():
        raise FhirError(400, "invalid", "gender must be one of female, male, other, unknown.")
    return Q(sex=value)


DATE_VALUE = re.compile(r"^(eq|ne|lt|gt|le|ge)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)


def date_range(value: str, name: str) -> tuple[str, date, date]:
    """(prefix, first day, last day) of a FHIR date search value of year, month or day
    precision (``ge1960``, ``1969-03``, ``le1969-03-01``)."""
    match = DATE_VALUE.match(value)
    if not match:
        raise FhirError(
            400,
            "invalid",
            f"{name} must be a date (YYYY, YYYY-MM or YYYY-MM-DD), with an "
            "optional prefix eq, ne, lt, gt, le or ge.",
        )
    prefix, year, month, day = match.groups()
    try:
        if day:
            first = last = date(int(year), int(month), int(day))
        elif month:
            first = date(int(year), int(month), 1)
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        else:
            first, last = date(int(year), 1, 1), date(int(year), 12, 31)
    except ValueError as error:
        raise FhirError(400, "invalid", f"{name}: {value} is not a date.") from error
    return prefix or "eq", first, last


def date_q(field: str, value: str, name: str) -> Q:
    prefix, first, last = date_range(value, name)
    within = Q(**{f"{field}__gte": first, f"{field}__lte": last})
    return {
        "eq": within,
        "ne": ~within,
        "lt": Q(**{f"{field}__lt": first}),
        "gt": Q(**{f"{field}__gt": last}),
        "le": Q(**{f"{field}__lte": last}),
        "ge": Q(**{f"{field}__gte": first}),
    }[prefix]


def id_q(value: str) -> Q:
    pk = record_id(value)
    return Q(pk=pk) if pk is not None else Q(pk__in=[])


SEARCH_PARAMETERS = (
    SearchParameter("_id", "token", "The logical id.", id_q, "1"),
    SearchParameter(
        "identifier",
        "token",
        "The MRN, as system|value (the system is FHIR_MRN_SYSTEM) or the value alone.",
        identifier_q,
        "MRN000001",
    ),
    SearchParameter(
        "name", "string", "Family or given name starts with (case-insensitive).", name_q, "Fam"
    ),
    SearchParameter(
        "birthdate",
        "date",
        "Date of birth, YYYY, YYYY-MM or YYYY-MM-DD with prefix eq, ne, lt, gt, le, ge.",
        lambda value: date_q("date_of_birth", value, "birthdate"),
        "ge1969-05",
    ),
    SearchParameter(
        "gender", "token", "female or male (other, unknown match none).", gender_q, "female"
    ),
)


class PatientEndpoint(PatientDataEndpoint):
    """Every role that reads patients on the pages reads them here."""

    resource_type = "Patient"
    policy = staticmethod(can_read_patients)
    search_parameters = SEARCH_PARAMETERS

    def rows(self) -> QuerySet[Patient]:
        return Patient.objects.all()

    def to_resource(self, row: Any) -> FhirPatient:
        return patient_resource(row)

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(request._request, "orders.patient", [row.pk for row in rows])
