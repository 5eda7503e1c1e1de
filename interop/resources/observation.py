"""``Observation`` (FHIR R4): laboratory results, measured weights and the recorded height.

Three sources, told apart by the id's prefix (``lab-``, ``weight-``, ``height-``):

=============================  ==============================================================
FHIR element                   source
=============================  ==============================================================
laboratory result              ``orders.LabResult``
``id``                         ``lab-{LabResult.pk}``
``status``                     final
``category``                   observation-category ``laboratory``
``code``                       ``LabTest.code`` under ``http://loinc.org`` (a local ``L-``
                               code under ``LOCAL_LAB_SYSTEM``), ``display``/``text``
                               ``LabTest.name``
``subject``                    ``Patient/{patient.pk}``
``effectiveDateTime``          ``LabResult.taken_on`` (a date)
``issued``                     ``LabResult.recorded_at``
``valueQuantity``              ``value`` (as recorded, a decimal), ``unit`` the result's unit,
                               ``system`` UCUM and ``code`` from ``UCUM_BY_UNIT``;
                               ``comparator`` ``<`` when ``below_detection_limit``
``valueString``                ``text`` (positive/negative, a blood group) when no number
``referenceRange``             ``LabTest.reference_low``/``reference_high`` in the test's unit
body weight                    ``orders.PatientWeight``
``id``                         ``weight-{PatientWeight.pk}``
``category`` / ``code``        ``vital-signs`` / LOINC 29463-7 Body weight
``effectiveDateTime``          ``measured_on``; ``issued`` ``recorded_at``
``valueQuantity``              ``weight_kg``, UCUM ``kg``
body height                    ``orders.Patient.height_cm`` (the record has one height, no
                               measurement date: no ``effective[x]``)
``id``                         ``height-{Patient.pk}``
``category`` / ``code``        ``vital-signs`` / LOINC 8302-2 Body height
``valueQuantity``              ``height_cm``, UCUM ``cm``
=============================  ==============================================================

Search: ``patient``/``subject`` (a reference), ``code`` (token, LOINC), ``category``
(laboratory, vital-signs), ``date`` (the effective date). A height has no date: a ``date``
search never finds it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q, QuerySet
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.observation import Observation, ObservationReferenceRange
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from rest_framework.request import Request

from interop.fhir import FhirError, PatientDataEndpoint, SearchParameter, record_id, search_filter
from interop.resources.patient import date_q, patient_reference
from ivig.audit.services import access_record_ids
from orders.labs.models import LabResult, LabTest
from orders.models import Patient, PatientWeight
from orders.policies import can_read_patients

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL_LAB_SYSTEM = "urn:ivig:lab-code"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
BODY_WEIGHT = "29463-7"
BODY_HEIGHT = "8302-2"
# The lab catalogue's units (as people read them) and their UCUM codes.
UCUM_BY_UNIT = {
    "mg/dL": "mg/dL",
    "g/dL": "g/dL",
    "g/L": "g/L",
    "mL/min/1.73 m²": "mL/min/{1.73_m2}",
    "U/mL": "[arb'U]/mL",
    "kg": "kg",
    "cm": "cm",
}
SOURCES = ("lab", "weight", "height")


def _category(code: str, display: str) -> list[CodeableConcept]:
    return [CodeableConcept(coding=[Coding(system=CATEGORY_SYSTEM, code=code, display=display)])]


def quantity(value: Decimal, unit: str, comparator: str | None = None) -> Quantity:
    code = UCUM_BY_UNIT.get(unit)
    return Quantity(
        value=value,
        unit=unit or None,
        system=UCUM if code else None,
        code=code,
        comparator=comparator,
    )


def lab_code_system(test: LabTest) -> str:
    return LOCAL_LAB_SYSTEM if test.code.startswith("L-") else LOINC


def lab_observation(result: LabResult) -> Observation:
    test = result.test
    reference = None
    if test.kind == "quantitative" and (
        test.reference_low is not None or test.reference_high is not None
    ):
        reference = [
            ObservationReferenceRange(
                low=quantity(test.reference_low, test.unit)
                if test.reference_low is not None
                else None,
                high=quantity(test.reference_high, test.unit)
                if test.reference_high is not None
                else None,
            )
        ]
    return Observation(
        id=f"lab-{result.pk}",
        status="final",
        category=_category("laboratory", "Laboratory"),
        code=CodeableConcept(
            coding=[Coding(system=lab_code_system(test), code=test.code, display=test.name)],
            text=test.name,
        ),
        subject=Reference(**patient_reference(result.patient)),
        effectiveDateTime=result.taken_on,
        issued=result.recorded_at,
        valueQuantity=quantity(
            Decimal(result.value), result.unit, "<" if result.below_detection_limit else None
        )
        if result.value is not None
        else None,
        valueString=result.text if result.value is None else None,
        referenceRange=reference,
    )


def _vital(
    id_: str, loinc: str, display: str, patient: Patient, value: Quantity, **when: Any
) -> Observation:
    return Observation(
        id=id_,
        status="final",
        category=_category("vital-signs", "Vital Signs"),
        code=CodeableConcept(coding=[Coding(system=LOINC, code=loinc, display=display)]),
        subject=Reference(**patient_reference(patient)),
        valueQuantity=value,
        **when,
    )


def weight_observation(weight: PatientWeight) -> Observation:
    return _vital(
        f"weight-{weight.pk}",
        BODY_WEIGHT,
        "Body weight",
        weight.patient,
        quantity(Decimal(weight.weight_kg), "kg"),
        effectiveDateTime=weight.measured_on,
        issued=weight.recorded_at,
    )


def height_observation(patient: Patient) -> Observation:
    assert patient.height_cm is not None
    return _vital(
        f"height-{patient.pk}",
        BODY_HEIGHT,
        "Body height",
        patient,
        quantity(Decimal(patient.height_cm), "cm"),
    )


# --- rows and search -------------------------------------------------------------------------


def _querysets() -> dict[str, QuerySet[Any]]:
    return {
        "lab": LabResult.objects.select_related("test", "patient").order_by("patient_id", "pk"),
        "weight": PatientWeight.objects.select_related("patient").order_by("patient_id", "pk"),
        "height": Patient.objects.filter(height_cm__isnull=False).order_by("pk"),
    }


# Each source's field for the patient, the code, and the effective date.
PATIENT_FIELD = {"lab": "patient_id", "weight": "patient_id", "height": "pk"}
NOTHING = Q(pk__in=[])
# Matches every row (not ``Q()``, which an OR with another ``Q`` drops).
EVERY = Q(pk__isnull=False)


@dataclass
class SourceQ:
    """One ``Q`` per source, combined source by source (a filter over the three at once)."""

    by_source: dict[str, Q] = field(default_factory=lambda: {s: Q() for s in SOURCES})

    def __and__(self, other: "SourceQ") -> "SourceQ":
        return SourceQ({s: self.by_source[s] & other.by_source[s] for s in SOURCES})

    def __or__(self, other: "SourceQ") -> "SourceQ":
        return SourceQ({s: self.by_source[s] | other.by_source[s] for s in SOURCES})


def patient_q(value: str) -> SourceQ:
    """reference: ``Patient/12`` or ``12`` (an absolute URL ending so, too)."""
    parts = value.rstrip("/").split("/")
    if len(parts) > 1 and parts[-2] != "Patient":
        return SourceQ({s: NOTHING for s in SOURCES})
    patient_id = record_id(parts[-1])
    if patient_id is None:
        return SourceQ({s: NOTHING for s in SOURCES})
    return SourceQ({s: Q(**{PATIENT_FIELD[s]: patient_id}) for s in SOURCES})


def code_q(value: str) -> SourceQ:
    system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
    lab = Q(test__code=code)
    if system:
        lab &= (
            Q(test__code__startswith="L-")
            if system == LOCAL_LAB_SYSTEM
            else ~Q(test__code__startswith="L-")
        )
        if system not in (LOINC, LOCAL_LAB_SYSTEM):
            lab = NOTHING
    vital_system_ok = system in ("", LOINC)
    return SourceQ(
        {
            "lab": lab,
            "weight": EVERY if vital_system_ok and code == BODY_WEIGHT else NOTHING,
            "height": EVERY if vital_system_ok and code == BODY_HEIGHT else NOTHING,
        }
    )


def category_q(value: str) -> SourceQ:
    code = value.rpartition("|")[2]
    if value.count("|") and value.rpartition("|")[0] not in ("", CATEGORY_SYSTEM):
        code = ""
    if code == "laboratory":
        return SourceQ({"lab": EVERY, "weight": NOTHING, "height": NOTHING})
    if code == "vital-signs":
        return SourceQ({"lab": NOTHING, "weight": EVERY, "height": EVERY})
    return SourceQ({s: NOTHING for s in SOURCES})


def effective_q(value: str) -> SourceQ:
    return SourceQ(
        {
            "lab": date_q("taken_on", value, "date"),
            "weight": date_q("measured_on", value, "date"),
            "height": NOTHING,
        }
    )


SEARCH_PARAMETERS = (
    SearchParameter("patient", "reference", "The patient: Patient/{id} or {id}.", patient_q, "1"),
    SearchParameter("subject", "reference", "As patient.", patient_q, "Patient/1"),
    SearchParameter(
        "code",
        "token",
        "LOINC (system|code or code); 29463-7 weight, 8302-2 height.",
        code_q,
        f"{LOINC}|{BODY_WEIGHT}",
    ),
    SearchParameter("category", "token", "laboratory or vital-signs.", category_q, "vital-signs"),
    SearchParameter(
        "date",
        "date",
        "The effective date, with prefix eq, ne, lt, gt, le, ge (heights have none).",
        effective_q,
        "ge2000",
    ),
)


class ChainedRows:
    """The three sources' rows one after another, paged as one list without counting any source
    whole (a page costs the same however many rows the centre holds)."""

    def __init__(self, querysets: Sequence[QuerySet[Any]]) -> None:
        self.querysets = querysets

    def count(self) -> int:
        return sum(qs.count() for qs in self.querysets)

    def count_up_to(self, most: int) -> int:
        """The rows counted no further than ``most`` (each source's count bounded)."""
        counted = 0
        for qs in self.querysets:
            if counted >= most:
                break
            counted += qs.order_by()[: most - counted].count()
        return counted

    def __getitem__(self, bounds: slice) -> list[Any]:
        start, stop = bounds.start or 0, bounds.stop
        rows: list[Any] = []
        for qs in self.querysets:
            if stop <= 0:
                break
            got = list(qs[start:stop])
            rows += got
            if len(got) == stop - start:
                break  # the page is full
            # This source ended: its size is what it gave after ``start``, or, when it gave
            # nothing, its rows counted up to ``start`` (the ones the page skips).
            size = start + len(got) if got else qs.order_by()[:start].count()
            start, stop = max(start - size, 0), stop - size
        return rows


def to_observation(row: Model) -> Observation:
    if isinstance(row, LabResult):
        return lab_observation(row)
    if isinstance(row, PatientWeight):
        return weight_observation(row)
    assert isinstance(row, Patient)
    return height_observation(row)


def patient_of(row: Model) -> int:
    return row.pk if isinstance(row, Patient) else row.patient_id  # type: ignore[attr-defined]


class ObservationEndpoint(PatientDataEndpoint):
    """Labs and vital signs: whoever reads patients reads them (as the lab results API)."""

    resource_type = "Observation"
    policy = staticmethod(can_read_patients)
    search_parameters = SEARCH_PARAMETERS

    def read_row(self, resource_id: str) -> Any:
        source, _, pk = resource_id.partition("-")
        querysets, row_id = _querysets(), record_id(pk)
        row = (
            querysets[source].filter(pk=row_id).first()
            if source in querysets and row_id is not None
            else None
        )
        if row is None:
            raise FhirError(404, "not-found", f"Observation/{resource_id} is not known.")
        return row

    def search_rows(self, request: Request) -> ChainedRows:
        query = search_filter(request, self.search_parameters, empty=SourceQ)
        querysets = _querysets()
        return ChainedRows([querysets[s].filter(query.by_source[s]) for s in SOURCES])

    def to_resource(self, row: Any) -> Observation:
        return to_observation(row)

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(request._request, "orders.patient", [patient_of(row) for row in rows])
