"""Patients → engine inputs (orders/dose_plans/engine_inputs.py; docs/clinical-rules.md 3.1,
3.8)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from ivig.engine import PatientFacts
from orders.dose_plans.engine_inputs import latest_weight, patient_facts

from .factories import PatientFactory, PatientWeightFactory

pytestmark = pytest.mark.django_db


def test_patient_facts_map_every_field_with_the_latest_weight_and_its_date():
    patient = PatientFactory.create(
        date_of_birth=date(1969, 5, 17),
        sex="female",
        height_cm=Decimal("168"),
        blood_group="A",
        iga_status="deficient",
        risk_factors=["migraine", "diabetes"],
        pregnant=False,
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("80"), measured_on=date(2026, 1, 2)
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("82.5"), measured_on=date(2026, 3, 1)
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("79"), measured_on=date(2026, 2, 1)
    )

    facts = patient_facts(patient, as_of=date(2026, 6, 1))

    assert facts == PatientFacts(
        weight_kg=Decimal("82.5"),
        height_cm=Decimal("168"),
        sex="female",
        age_years=57,
        blood_group="A",
        iga_status="deficient",
        risk_factors=["migraine", "diabetes"],
        pregnant=False,
        weight_measured_on=date(2026, 3, 1),
    )


def test_a_weight_measured_after_the_date_is_not_used():
    patient = PatientFactory.create()
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("70"), measured_on=date(2026, 1, 10)
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("75"), measured_on=date(2026, 2, 10)
    )
    facts = patient_facts(patient, as_of=date(2026, 2, 9))
    assert (facts.weight_kg, facts.weight_measured_on) == (Decimal("70"), date(2026, 1, 10))


def test_two_weights_on_one_day_the_later_recorded_wins():
    patient = PatientFactory.create()
    first = PatientWeightFactory.create(patient=patient, weight_kg=Decimal("70"))
    second = PatientWeightFactory.create(patient=patient, weight_kg=Decimal("71"))
    assert second.recorded_at >= first.recorded_at
    assert latest_weight(patient, as_of=timezone.localdate()) == second


def test_no_weight_gives_none_for_the_engine_to_flag():
    facts = patient_facts(PatientFactory.create(height_cm=None), as_of=date(2026, 6, 1))
    assert facts.weight_kg is None
    assert facts.weight_measured_on is None
    assert facts.height_cm is None


@pytest.mark.parametrize(
    ("as_of", "age"),
    [
        (date(2018, 2, 28), 17),
        (date(2018, 3, 1), 18),
        (date(2020, 2, 29), 20),
        (date(2000, 2, 29), 0),
    ],
)
def test_age_is_completed_years_on_the_date(as_of, age):
    patient = PatientFactory.create(date_of_birth=date(2000, 2, 29))
    assert patient.age_years(as_of) == age
    assert patient_facts(patient, as_of=as_of).age_years == age


def test_a_child_is_seen_with_their_age_and_sex():
    child = PatientFactory.create(sex="male", date_of_birth=date(2021, 7, 1))
    facts = patient_facts(child, as_of=date(2026, 6, 30))
    assert (facts.sex, facts.age_years, facts.pregnant) == ("male", 4, False)
