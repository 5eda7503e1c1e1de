"""The entry kinds of the administration record (docs/clinical-rules.md 6) as the edges parse
them: each kind's fields, which it needs, the limits of typed values, and the refusal (code,
field, message) the page and the API show."""

from decimal import Decimal
from typing import Any

import pytest

from infusions.administration.entries import (
    ENTRY_MODELS,
    AdverseEvent,
    Completed,
    Note,
    PremedicationGiven,
    Started,
    VitalSigns,
    entry_fields,
    parse_entry,
)
from infusions.errors import InfusionError
from infusions.models import EntryKind

VITALS = {"kind": "vital_signs", "bp_systolic_mmhg": 120, "bp_diastolic_mmhg": 80}


def refusal(**data: Any) -> tuple[str | None, str]:
    with pytest.raises(InfusionError) as error:
        parse_entry(data)
    assert error.value.code == InfusionError.INVALID
    return error.value.field, error.value.message


def test_every_kind_has_a_model_with_its_fields_in_the_form_order() -> None:
    assert set(ENTRY_MODELS) == set(EntryKind.values)
    assert entry_fields("vital_signs") == [
        "bp_systolic_mmhg",
        "bp_diastolic_mmhg",
        "pulse_per_min",
        "temperature_c",
        "respiratory_rate_per_min",
        "spo2_pct",
    ]


def test_typed_text_becomes_numbers_with_units() -> None:
    entry = parse_entry({**VITALS, "pulse_per_min": "72.0", "temperature_c": " 37.1 "})
    assert entry == VitalSigns(
        bp_systolic_mmhg=120, bp_diastolic_mmhg=80, pulse_per_min=72, temperature_c=Decimal("37.1")
    )
    completed = parse_entry({"kind": "completed", "volume_ml": "250", "grams_given": "25"})
    assert isinstance(completed, Completed) and completed.grams_given == Decimal("25")


def test_blank_fields_are_absent() -> None:
    # The record form posts every field of every kind; only the kind's own count.
    entry = parse_entry(
        {"kind": "note", "details": " x ", "rate_ml_per_h": None, "lot_number": "", "symptoms": []}
    )
    assert entry == Note(details="x")
    assert entry.row_fields() == {"details": "x"}
    assert parse_entry({"kind": "started", "rate_ml_per_h": ""}) == Started()
    assert parse_entry({"kind": "premedication_given"}) == PremedicationGiven(details="")


def test_an_unknown_kind() -> None:
    assert refusal(kind="stopped") == ("kind", "Unknown entry kind 'stopped'.")


def test_a_field_the_kind_does_not_record() -> None:
    assert refusal(kind="note", details="x", rate_ml_per_h=30, lot_number="L1") == (
        "lot_number",
        "Note does not record lot_number, rate_ml_per_h.",
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "iv_access", "details": "  "}, "details", "Give the details."),
        ({**VITALS}, "pulse_per_min", "Give the pulse."),
        ({"kind": "rate_changed"}, "rate_ml_per_h", "Give the rate."),
        ({"kind": "adverse_event", "severity": "mild"}, "symptoms", "Give the symptoms."),
        (
            {"kind": "lot_recorded", "vial_size_g": "5", "vial_count": 1},
            "lot_number",
            "Give the lot number.",
        ),
    ],
)
def test_what_each_kind_needs(data: dict[str, Any], field: str, message: str) -> None:
    assert refusal(**data) == (field, message)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {**VITALS, "pulse_per_min": "high"},
            "pulse_per_min",
            "The pulse must be a number.",
        ),
        (
            {"kind": "rate_changed", "rate_ml_per_h": "34.5"},
            "rate_ml_per_h",
            "The rate must be a number.",
        ),
        (
            {"kind": "rate_changed", "rate_ml_per_h": True},
            "rate_ml_per_h",
            "The rate must be a number.",
        ),
        (
            {"kind": "completed", "volume_ml": "NaN", "grams_given": "1"},
            "volume_ml",
            "The volume given must be a number.",
        ),
    ],
)
def test_numbers_are_numbers(data: dict[str, Any], field: str, message: str) -> None:
    assert refusal(**data) == (field, message)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"bp_systolic_mmhg": 1200},
            "bp_systolic_mmhg",
            "A systolic blood pressure of 1200 is not plausible (expected 40 to 300).",
        ),
        (
            {"bp_diastolic_mmhg": 19},
            "bp_diastolic_mmhg",
            "A diastolic blood pressure of 19 is not plausible (expected 20 to 200).",
        ),
        (
            {"pulse_per_min": 251},
            "pulse_per_min",
            "A pulse of 251 is not plausible (expected 20 to 250).",
        ),
        (
            {"temperature_c": "52"},
            "temperature_c",
            "A temperature of 52 is not plausible (expected 30 to 45).",
        ),
        (
            {"respiratory_rate_per_min": 3},
            "respiratory_rate_per_min",
            "A respiratory rate of 3 is not plausible (expected 4 to 80).",
        ),
    ],
)
def test_vital_signs_are_plausible(changes: dict[str, Any], field: str, message: str) -> None:
    assert refusal(**{**VITALS, "pulse_per_min": 70, **changes}) == (field, message)


def test_vital_signs_at_the_limits_are_plausible() -> None:
    low = {"bp_systolic_mmhg": 40, "bp_diastolic_mmhg": 20, "pulse_per_min": 20}
    assert parse_entry({"kind": "vital_signs", **low, "temperature_c": "30"})
    high = {"bp_systolic_mmhg": 300, "bp_diastolic_mmhg": 200, "pulse_per_min": 250}
    assert parse_entry({"kind": "vital_signs", **high, "respiratory_rate_per_min": 80})


def test_a_missing_or_unreadable_value_is_named_before_an_implausible_one() -> None:
    data = {**VITALS, "bp_systolic_mmhg": 1200, "pulse_per_min": "abc"}
    assert refusal(**data) == ("pulse_per_min", "The pulse must be a number.")


def test_adverse_events_from_the_watch_list_in_its_order() -> None:
    entry = parse_entry(
        {"kind": "adverse_event", "symptoms": ["headache", "fever"], "severity": "moderate"}
    )
    assert isinstance(entry, AdverseEvent) and entry.symptoms == ["fever", "headache"]
    field, message = refusal(kind="adverse_event", symptoms=["nausea"], severity="mild")
    assert field == "symptoms" and message.startswith("Symptoms are chosen from the watch list: ")
    assert "Moderate to severe headache" in message
    assert refusal(kind="adverse_event", symptoms=["fever"], severity="awful") == (
        "severity",
        "Severity is mild, moderate or severe.",
    )


def test_lots_and_amounts() -> None:
    lot = {"kind": "lot_recorded", "lot_number": "L1", "vial_size_g": "5"}
    assert refusal(**lot, vial_count=0) == ("vial_count", "At least one vial.")
    assert refusal(**{**lot, "lot_number": "L" * 41}, vial_count=1) == (
        "lot_number",
        "The lot number has at most 40 characters.",
    )
    assert refusal(kind="completed", volume_ml="-1", grams_given="2") == (
        "volume_ml",
        "The volume given cannot be negative.",
    )
    assert parse_entry({"kind": "completed", "volume_ml": "0", "grams_given": "0"})


def test_spo2_is_optional_and_plausible() -> None:
    assert parse_entry({**VITALS, "pulse_per_min": 70, "spo2_pct": 50})
    assert parse_entry({**VITALS, "pulse_per_min": 70, "spo2_pct": 100})
    assert refusal(**{**VITALS, "pulse_per_min": 70, "spo2_pct": 49}) == (
        "spo2_pct",
        "A oxygen saturation (SpO₂) of 49 is not plausible (expected 50 to 100).",
    )
