"""``interop.fhir_json``: the FHIR JSON the server emits is the library's own
``model_dump(mode="json")``, byte for byte, at a fraction of its cost (issue 21). Every resource
the other tests of this directory emit is compared too (``emitted_json_is_the_library_s`` in
their conftest)."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.binary import Binary
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.dosage import Dosage, DosageDoseAndRate
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.fhirprimitiveextension import FHIRPrimitiveExtension
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation, ObservationReferenceRange
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.timing import Timing, TimingRepeat

from interop import fhir_json as module
from interop.fhir import FhirJSONRenderer
from interop.fhir_json import fhir_json


def _text(value: Any) -> bytes:
    """As the server sends it (``FhirJSONRenderer``)."""
    return FhirJSONRenderer().render(value)


def _quantity(value: str) -> Quantity:
    return Quantity(value=Decimal(value), unit="g", system="http://unitsofmeasure.org", code="g")


NUMBERS = [
    "0",
    "2",
    "2.0",
    "2.50",
    "22.8",
    "-0.5",
    "1E+1",
    "1E-7",
    "123456789.123456789",
    "1e3",
    "1E+400",
    "1.5E-400",
]

RESOURCES = (
    [
        pytest.param(
            Observation(
                status="final",
                code=CodeableConcept(text="grams"),
                valueQuantity=_quantity(number),
                referenceRange=[ObservationReferenceRange(low=_quantity(number))],
            ),
            id=f"decimal {number}",
        )
        for number in NUMBERS
    ]
    + [
        pytest.param(
            Observation(
                status="final",
                code=CodeableConcept(coding=[Coding(system="http://loinc.org", code="718-7")]),
                effectiveDateTime=moment,
                issued=datetime(2026, 3, 1, 8, 30, 15, 250000, tzinfo=UTC),
                valueTime=time(7, 45),
            ),
            id=f"date-time {moment}",
        )
        for moment in (
            date(2026, 3, 1),
            datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
            datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=-5))),
            "2026-03",
            "2026",
        )
    ]
    + [
        pytest.param(
            Patient(
                id="7",
                active=True,
                gender="female",
                gender__ext=FHIRPrimitiveExtension(
                    extension=[Extension(url="http://example.org/why", valueString="as stated")]
                ),
                birthDate=date(1980, 2, 29),
                name=[],
                fhir_comments=["a comment", "another"],
            ),
            id="primitive extension, comments, empty list",
        ),
        pytest.param(
            MedicationRequest(
                status="active",
                intent="order",
                medicationReference=Reference(reference="Medication/1"),
                subject=Reference(reference="Patient/7", display="Doe, Jane"),
                dosageInstruction=[
                    Dosage(
                        sequence=1,
                        timing=Timing(
                            event=[date(2026, 3, 1), date(2026, 3, 2)],
                            repeat=TimingRepeat(dayOfWeek=["mon", "tue"], count=3),
                        ),
                        doseAndRate=[DosageDoseAndRate(doseQuantity=_quantity("1.5"))],
                    )
                ],
            ),
            id="primitive lists, integers",
        ),
        pytest.param(
            Bundle(
                type="searchset",
                total=2,
                entry=[
                    BundleEntry(
                        fullUrl="https://x/fhir/R4/Patient/1",
                        resource=Patient(id="1", gender="male"),
                        search=BundleEntrySearch(mode="match", score=Decimal("0.75")),
                    ),
                    BundleEntry(
                        resource=Observation(status="final", code=CodeableConcept(text="x"))
                    ),
                ],
            ),
            id="bundle of resources",
        ),
        pytest.param(
            Binary(contentType="text/plain", data=b"Ynl0ZXM="), id="binary (the library's)"
        ),
    ]
)


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_walk_gives_the_library_s_json_byte_for_byte(resource):
    assert _text(fhir_json(resource)) == _text(resource.model_dump(mode="json"))


def test_a_decimal_written_whole_is_an_integer_and_any_other_a_number():
    """The library's rule: ``2`` is ``2``, ``2.0`` is ``2.0`` (the same value in JSON)."""
    assert b'"value":2,' in _text(fhir_json(_quantity("2")))
    assert b'"value":2.0,' in _text(fhir_json(_quantity("2.0")))
    assert b'"value":0.1,' in _text(fhir_json(_quantity("0.10")))


def test_what_the_walk_does_not_know_is_left_to_the_library(monkeypatch):
    asked = []
    real = Binary.model_dump

    def dump(self: Binary, **kwargs: Any) -> Any:
        asked.append(kwargs)
        return real(self, **kwargs)

    monkeypatch.setattr(Binary, "model_dump", dump)
    binary = Binary(contentType="text/plain", data=b"Ynl0ZXM=")
    assert fhir_json(binary)["data"] == "Ynl0ZXM="
    assert asked == [{"mode": "json"}]


def test_each_class_s_layout_is_read_once():
    module._layout.cache_clear()
    for _ in range(3):
        fhir_json(_quantity("1"))
    assert module._layout.cache_info().misses == 1
