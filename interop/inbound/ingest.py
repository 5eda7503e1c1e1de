"""``POST [base]`` transaction ``Bundle`` of ``Patient`` and ``Observation`` resources: patients
and their results arriving from the EHR and the laboratory system (docs/fhir.md, "In").

The checks are the pages' and the lab import's, through the same serializers and services
(``orders.patients.services.patient_create``/``patient_update``/``patient_weight_record``,
``orders.labs.lab_result_record``): nothing is re-judged here. This module only reads FHIR:

- a ``Patient`` is matched by its MRN (the identifier under ``FHIR_MRN_SYSTEM``) or created;
  a match whose date of birth or gender differs from the Bundle's is refused (another person);
- an ``Observation`` is a laboratory result when its code is in the lab catalogue (LOINC, or
  a local ``L-`` code under ``urn:ivig:lab-code``), the patient's weight (LOINC 29463-7) or
  height (8302-2). A quantity in another UCUM unit of the same kind is converted exactly
  (powers of ten only: g/L, g/dL, mg/dL, mg/L; g and kg; mm, cm and m); any other unit is
  refused, never guessed;
- all or nothing: one database transaction; any refused entry refuses the Bundle, and the
  ``OperationOutcome`` names every refused entry (``Bundle.entry[i]``);
- duplicates (a result, weight or height already recorded) are ignored: ``200 OK`` with the
  stored record's location, where a new record is ``201 Created``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.quantity import Quantity
from pydantic import ValidationError

from interop.resources.observation import (
    BODY_HEIGHT,
    BODY_WEIGHT,
    LOCAL_LAB_SYSTEM,
    LOINC,
    UCUM,
    UCUM_BY_UNIT,
)
from interop.resources.patient import GENDERS, mrn_system
from ivig.accounts.models import User
from ivig.dates import LAB_TAKEN_ON
from ivig.errors import DomainError
from ivig.numbers import clip
from orders.labs.models import LabKind, LabTest
from orders.labs.services import lab_result_record
from orders.models import Patient, PatientWeight, Sex
from orders.patients import services
from orders.patients.api import PatientCreateSerializer, PatientWeightSerializer

# The most entries one Bundle may carry (as the lab import's rows: a larger export is split).
MAX_ENTRIES = 5_000
# At most this many refused entries are listed.
MAX_ISSUES = 200
ACCEPTED_TYPES = ("Patient", "Observation")
# Observation statuses that are results (a preliminary or cancelled one is not recorded).
RESULT_STATUSES = frozenset({"final", "amended", "corrected"})
CREATED, EXISTING = "201 Created", "200 OK"

# UCUM units of one kind and their factor to the kind's base: exact powers of ten only.
MASS_CONCENTRATION_G_PER_L = {
    "g/L": Decimal(1),
    "g/dL": Decimal(10),
    "mg/dL": Decimal("0.01"),
    "mg/L": Decimal("0.001"),
}
MASS_KG = {"kg": Decimal(1), "g": Decimal("0.001")}
LENGTH_CM = {"cm": Decimal(1), "m": Decimal(100), "mm": Decimal("0.1")}
# Other spellings of a catalogue unit (UCUM code → the catalogue's UCUM code).
UNIT_ALIASES = {
    "mL/min/1.73m2": "mL/min/{1.73_m2}",
    "mL/min/{1.73m2}": "mL/min/{1.73_m2}",
    "U/mL": "[arb'U]/mL",
}
# SNOMED CT qualifier values a qualitative result may be coded with.
SNOMED = "http://snomed.info/sct"
SNOMED_WORDS = {"10828004": "positive", "260385009": "negative"}
# A number written with an exponent beyond ±20 is no measure (and not worth converting).
MAX_EXPONENT = 20


@dataclass(frozen=True)
class Issue:
    """One refused entry (``index`` None: the Bundle as a whole)."""

    index: int | None
    code: str
    message: str

    @property
    def expression(self) -> str:
        return "Bundle" if self.index is None else f"Bundle.entry[{self.index}]"


class IngestRefused(Exception):
    """The Bundle was refused: nothing was saved; ``issues`` say why."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues[:3]))
        self.issues = issues


class EntryRefused(Exception):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class EntryOutcome:
    """What one entry did: ``status`` "201 Created" or "200 OK", ``location`` the record's."""

    status: str
    location: str


def _refused(message: str, code: str = "invalid") -> IngestRefused:
    return IngestRefused([Issue(None, code, message)])


# --- reading the Bundle ----------------------------------------------------------------------


def _entry_problem(entry: Any) -> str | None:
    """Why an entry is not a ``POST`` of a Patient or an Observation, or None."""
    if not isinstance(entry, dict):
        return "an entry must be an object."
    resource, request = entry.get("resource"), entry.get("request")
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if kind not in ACCEPTED_TYPES:
        return "only Patient and Observation resources are accepted, not " + (
            f"{clip(str(kind))!r}." if kind else "an entry without a resource."
        )
    if not isinstance(request, dict) or request.get("method") != "POST":
        return "each entry must be a create (request.method POST)."
    url = request.get("url")
    if not isinstance(url, str) or url.split("?", 1)[0].strip("/") != kind:
        return f"request.url must be {kind}."
    return None


def _shape_issues(data: Any) -> list[Issue]:
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        return [Issue(None, "structure", "The body must be a FHIR Bundle (resourceType Bundle).")]
    if data.get("type") != "transaction":
        return [Issue(None, "not-supported", "Only a transaction Bundle is accepted.")]
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        return [Issue(None, "required", "The Bundle has no entries.")]
    if len(entries) > MAX_ENTRIES:
        return [Issue(None, "too-costly", f"At most {MAX_ENTRIES:,} entries: split the Bundle.")]
    issues = []
    for index, entry in enumerate(entries):
        problem = _entry_problem(entry)
        if problem:
            issues.append(Issue(index, "not-supported", problem))
    return issues


def _location_words(location: tuple[int | str, ...]) -> tuple[int | None, str]:
    """(entry index, the element's path within it) of a validation error's location."""
    if len(location) >= 2 and location[0] == "entry" and isinstance(location[1], int):
        inner = [str(part) for part in location[2:] if part != "root"]
        return location[1], ".".join(inner) or "entry"
    return None, ".".join(str(part) for part in location) or "Bundle"


def parse_bundle(data: Any) -> Bundle:
    """The transaction Bundle, validated by ``fhir.resources``' R4B models; ``IngestRefused``
    naming each entry that is not a valid create of a Patient or an Observation."""
    issues = _shape_issues(data)
    if issues:
        raise IngestRefused(issues[:MAX_ISSUES])
    try:
        return Bundle.model_validate(data)
    except ValidationError as error:
        for problem in error.errors()[:MAX_ISSUES]:
            index, where = _location_words(tuple(problem["loc"]))
            issues.append(Issue(index, "structure", f"{where}: {problem['msg']}."))
        raise IngestRefused(issues) from None


# --- matching patients -----------------------------------------------------------------------


@dataclass
class Context:
    """What the entries processed so far established: the patients by fullUrl and by MRN."""

    by: User
    patients_by_url: dict[str, Patient] = field(default_factory=dict)
    refused_urls: set[str] = field(default_factory=set)


def _mrn_of(identifiers: Any) -> str | None:
    for identifier in identifiers or []:
        if identifier.system == mrn_system() and identifier.value:
            return str(identifier.value)
    return None


def _first_name(resource: FhirPatient) -> tuple[str, str]:
    names = resource.name or []
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    family = (name.family or "") if name else ""
    given = (name.given or [""])[0] if name else ""
    return family, given or ""


def _same_person(patient: Patient, resource: FhirPatient) -> None:
    """A matched MRN whose record says another birth date or gender is another person."""
    if resource.birthDate is not None and resource.birthDate != patient.date_of_birth:
        raise EntryRefused(
            f"MRN {patient.mrn} is registered with another date of birth: check the patient.",
            "conflict",
        )
    if resource.gender is not None and resource.gender != GENDERS.get(Sex(patient.sex)):
        raise EntryRefused(
            f"MRN {patient.mrn} is registered with another gender: check the patient.", "conflict"
        )


def _serializer_message(errors: Mapping[str, Any]) -> str:
    parts = []
    for name, messages in errors.items():
        listed = messages if isinstance(messages, list) else [messages]
        parts.append(f"{name}: {' '.join(str(m) for m in listed)}")
    return "; ".join(parts)


def _create_patient(mrn: str, resource: FhirPatient, by: User) -> Patient:
    family, given = _first_name(resource)
    gender = {value: key for key, value in GENDERS.items()}.get(str(resource.gender))
    if gender is None:
        raise EntryRefused("gender must be female or male (the record holds no other).")
    if not isinstance(resource.birthDate, date):
        raise EntryRefused("birthDate must be a full date (YYYY-MM-DD).")
    serializer = PatientCreateSerializer(
        data={
            "mrn": mrn,
            "family_name": family,
            "given_name": given,
            "date_of_birth": resource.birthDate.isoformat(),
            "sex": gender,
        }
    )
    if not serializer.is_valid():
        raise EntryRefused(_serializer_message(serializer.errors))
    return services.patient_create(by=by, **serializer.validated_data)


def ingest_patient(index: int, entry: Any, context: Context) -> EntryOutcome:
    resource: FhirPatient = entry.resource
    mrn = _mrn_of(resource.identifier)
    if mrn is None:
        raise EntryRefused(f"the patient needs an identifier under {mrn_system()} (the MRN).")
    patient = Patient.objects.filter(mrn=mrn.strip()).first()
    outcome = EXISTING
    if patient is not None:
        _same_person(patient, resource)
    else:
        patient = _create_patient(mrn, resource, context.by)
        outcome = CREATED
    if entry.fullUrl:
        context.patients_by_url[str(entry.fullUrl)] = patient
    return EntryOutcome(outcome, f"Patient/{patient.pk}")


_PATIENT_ID = re.compile(r"(?:^|/)Patient/(\d{1,18})$", re.ASCII)


def _patient_by_identifier(system: str | None, value: str | None) -> Patient:
    if system != mrn_system() or not value:
        raise EntryRefused(f"subject: an identifier must be an MRN under {mrn_system()}.")
    patient = Patient.objects.filter(mrn=value).first()
    if patient is None:
        raise EntryRefused(f"subject: no patient with MRN {clip(value)!r}.")
    return patient


def subject_patient(resource: Observation, context: Context) -> Patient:
    """The patient an Observation is about: an entry of the Bundle (its fullUrl), ``Patient/{id}``,
    ``Patient?identifier=system|mrn`` or an MRN identifier."""
    subject = resource.subject
    if subject is None:
        raise EntryRefused("subject is required (the patient).", "required")
    reference = str(subject.reference or "")
    if reference in context.patients_by_url:
        return Patient.objects.get(pk=context.patients_by_url[reference].pk)
    if reference in context.refused_urls:
        raise EntryRefused("subject: its Patient entry was refused.")
    if reference.startswith("Patient?identifier="):
        system, _, value = reference.removeprefix("Patient?identifier=").rpartition("|")
        return _patient_by_identifier(system, value)
    match = _PATIENT_ID.search(reference)
    if match:
        patient = Patient.objects.filter(pk=int(match.group(1))).first()
        if patient is None:
            raise EntryRefused(f"subject: {clip(reference)} is not known.")
        return patient
    if not reference and subject.identifier is not None:
        return _patient_by_identifier(subject.identifier.system, subject.identifier.value)
    raise EntryRefused(
        "subject must be a Patient entry of the Bundle (its fullUrl), Patient/{id} or "
        "Patient?identifier=system|MRN."
    )


# --- values ----------------------------------------------------------------------------------


def taken_on(resource: Observation) -> date:
    """The day the observation was made (``effectiveDateTime``), in the unit's time zone."""
    effective = resource.effectiveDateTime
    if isinstance(effective, datetime):
        if timezone.is_aware(effective):
            return timezone.localtime(effective).date()
        return effective.date()
    if isinstance(effective, date):
        return effective
    raise EntryRefused("effectiveDateTime must be the day the sample or measure was taken.")


def ucum_code(quantity: Quantity) -> str:
    if quantity.system is not None and quantity.system != UCUM:
        raise EntryRefused(f"valueQuantity: units must be UCUM ({UCUM}).")
    code = str(quantity.code or quantity.unit or "")
    return UNIT_ALIASES.get(code, code)


def _quantity(resource: Observation, what: str) -> tuple[Quantity, Decimal]:
    """The quantity and its value (finite and of a sane size)."""
    quantity = resource.valueQuantity
    if quantity is None or quantity.value is None:
        raise EntryRefused("valueQuantity with a value is required.", "required")
    if quantity.comparator not in (None, "<"):
        raise EntryRefused(f"valueQuantity.comparator {quantity.comparator} is not recorded.")
    value = Decimal(quantity.value)
    if not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT:
        raise EntryRefused(f"{what}: the value is outside what a measure can be.")
    return quantity, value


def converted(value: Decimal, given: str, wanted: str, what: str) -> Decimal:
    """``value`` in ``given`` UCUM units as ``wanted`` units, when both are of one kind with an
    exact factor; ``EntryRefused`` otherwise (no unit is guessed)."""
    if given == wanted:
        return value
    for factors in (MASS_CONCENTRATION_G_PER_L, MASS_KG, LENGTH_CM):
        if given in factors and wanted in factors:
            return (value * factors[given] / factors[wanted]).normalize()
    raise EntryRefused(
        f"{what} is recorded in {wanted}; {clip(given) or 'no unit'} cannot be converted to it.",
        "code-invalid",
    )


def _vital_value(resource: Observation, wanted: str, what: str) -> Decimal:
    quantity, value = _quantity(resource, what)
    if quantity.comparator:
        raise EntryRefused(f"{what} must be a measured value, not a limit.")
    return converted(value, ucum_code(quantity), wanted, what)


def qualitative_text(resource: Observation) -> str:
    """The words of a positive/negative or blood-group result (``check_value`` judges them)."""
    if resource.valueString:
        return str(resource.valueString)
    concept = resource.valueCodeableConcept
    if concept is not None:
        for coding in concept.coding or []:
            if coding.system == SNOMED and str(coding.code) in SNOMED_WORDS:
                return SNOMED_WORDS[str(coding.code)]
        if concept.text:
            return str(concept.text)
        for coding in concept.coding or []:
            if coding.display:
                return str(coding.display)
    raise EntryRefused("valueString or valueCodeableConcept is required.", "required")


# --- observations ----------------------------------------------------------------------------


def ingest_weight(resource: Observation, patient: Patient, context: Context) -> EntryOutcome:
    weight_kg = _vital_value(resource, "kg", "Body weight")
    serializer = PatientWeightSerializer(
        data={"weight_kg": f"{weight_kg:f}", "measured_on": taken_on(resource).isoformat()}
    )
    if not serializer.is_valid():
        raise EntryRefused(_serializer_message(serializer.errors))
    measured_on = serializer.validated_data["measured_on"]
    weight_kg = serializer.validated_data["weight_kg"]
    stored = PatientWeight.objects.filter(
        patient=patient, measured_on=measured_on, weight_kg=weight_kg
    ).first()
    if stored is not None:
        return EntryOutcome(EXISTING, f"Observation/weight-{stored.pk}")
    weight = services.patient_weight_record(
        patient, by=context.by, weight_kg=weight_kg, measured_on=measured_on
    )
    return EntryOutcome(CREATED, f"Observation/weight-{weight.pk}")


def ingest_height(resource: Observation, patient: Patient, context: Context) -> EntryOutcome:
    height_cm = _vital_value(resource, "cm", "Body height")
    location = f"Observation/height-{patient.pk}"
    if patient.height_cm is not None and Decimal(patient.height_cm) == height_cm:
        return EntryOutcome(EXISTING, location)
    had_height = patient.height_cm is not None
    services.patient_update(patient, by=context.by, version=patient.version, height_cm=height_cm)
    return EntryOutcome(EXISTING if had_height else CREATED, location)


def lab_value(resource: Observation, test: LabTest) -> tuple[Decimal | str, bool]:
    """(value in the test's unit or the result's words, below the detection limit)."""
    if test.kind != LabKind.QUANTITATIVE:
        return qualitative_text(resource), False
    quantity, value = _quantity(resource, test.name)
    wanted = UCUM_BY_UNIT.get(test.unit, test.unit)
    return converted(value, ucum_code(quantity), wanted, test.name), quantity.comparator == "<"


def ingest_lab(
    resource: Observation, patient: Patient, context: Context, test: LabTest
) -> EntryOutcome:
    value, below = lab_value(resource, test)
    day = taken_on(resource)
    if not LAB_TAKEN_ON.contains(day):
        raise EntryRefused(f"effectiveDateTime: {LAB_TAKEN_ON.message()}")
    result, created = lab_result_record(
        patient,
        by=context.by,
        test=test,
        taken_on=day,
        value=value,
        unit=test.unit if isinstance(value, Decimal) else None,
        below_detection_limit=below,
    )
    return EntryOutcome(CREATED if created else EXISTING, f"Observation/lab-{result.pk}")


VitalHandler = Callable[[Observation, Patient, Context], EntryOutcome]
VITALS: dict[str, VitalHandler] = {BODY_WEIGHT: ingest_weight, BODY_HEIGHT: ingest_height}


def observation_kind(resource: Observation, catalogue: Mapping[str, LabTest]) -> str | LabTest:
    """The vital sign's LOINC code or the catalogue's test the code names."""
    codes = []
    for coding in resource.code.coding or []:
        code = str(coding.code or "")
        if coding.system == LOINC and code in VITALS:
            return code
        if coding.system in (LOINC, LOCAL_LAB_SYSTEM) and code.upper() in catalogue:
            test = catalogue[code.upper()]
            if (coding.system == LOCAL_LAB_SYSTEM) == test.code.startswith("L-"):
                return test
        codes.append(f"{coding.system or 'no system'}|{code}")
    raise EntryRefused(
        "the code is neither in the lab catalogue nor body weight (LOINC 29463-7) or height "
        f"(8302-2): {clip(', '.join(codes)) or 'no coding'}.",
        "code-invalid",
    )


def ingest_observation(
    resource: Observation, context: Context, catalogue: Mapping[str, LabTest]
) -> EntryOutcome:
    if resource.status not in RESULT_STATUSES:
        raise EntryRefused(f"status {resource.status} is not a result (final, amended, corrected).")
    kind = observation_kind(resource, catalogue)
    patient = subject_patient(resource, context)
    if isinstance(kind, LabTest):
        return ingest_lab(resource, patient, context, kind)
    return VITALS[kind](resource, patient, context)


# --- the transaction -------------------------------------------------------------------------


def _processing_order(bundle: Bundle, catalogue: Mapping[str, LabTest]) -> list[int]:
    """Patients first, then heights (weights are judged against them), weights, results."""

    entries = bundle.entry or []

    def rank(index: int) -> int:
        resource = entries[index].resource
        if not isinstance(resource, Observation):
            return 0
        codes = {str(c.code) for c in (resource.code.coding or []) if c.system == LOINC}
        return 1 if BODY_HEIGHT in codes else 2 if BODY_WEIGHT in codes else 3

    return sorted(range(len(entries)), key=rank)


def _one(index: int, entry: Any, context: Context, catalogue: Mapping[str, LabTest]) -> Any:
    if isinstance(entry.resource, FhirPatient):
        return ingest_patient(index, entry, context)
    return ingest_observation(entry.resource, context, catalogue)


def _issue(index: int, entry: Any, error: Exception) -> Issue:
    kind = entry.resource.get_resource_type()
    if isinstance(error, EntryRefused):
        return Issue(index, error.code, f"{kind}: {error.message}")
    assert isinstance(error, DomainError)
    named = {k: v for k, v in error.field_errors.items() if k != NON_FIELD_ERRORS}
    return Issue(index, "business-rule", f"{kind}: {_serializer_message(named) or error.message}")


def ingest_bundle(data: Any, *, by: User) -> list[EntryOutcome]:
    """Record what a transaction Bundle carries, all or nothing (module docstring): one outcome
    per entry in the Bundle's order, or ``IngestRefused`` (nothing saved)."""
    bundle = parse_bundle(data)
    entries = bundle.entry or []
    catalogue = {test.code.upper(): test for test in LabTest.objects.all()}
    context = Context(by=by)
    outcomes: dict[int, EntryOutcome] = {}
    issues: list[Issue] = []
    with transaction.atomic():
        for index in _processing_order(bundle, catalogue):
            try:
                with transaction.atomic():
                    outcomes[index] = _one(index, entries[index], context, catalogue)
            except (EntryRefused, DomainError) as error:
                issues.append(_issue(index, entries[index], error))
                if entries[index].fullUrl:
                    context.refused_urls.add(str(entries[index].fullUrl))
        if issues:
            issues.sort(key=lambda issue: issue.index or 0)
            raise IngestRefused(issues[:MAX_ISSUES])
    return [outcomes[index] for index in range(len(entries))]
