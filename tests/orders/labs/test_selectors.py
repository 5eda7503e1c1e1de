"""The orders adapter fills the laboratory inputs of ``PatientFacts`` (docs/clinical-rules.md
3.8.2) from the results taken on or before the evaluation date."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.dose_plans.engine_inputs import patient_facts
from orders.labs import selectors as lab_selectors
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db


def record(patient, by, code: str, taken_on: date, value: str) -> None:
    lab_result_record(
        patient, by=by, test=LabTest.objects.get(code=code), taken_on=taken_on, value=value
    )


def test_the_latest_results_on_or_before_the_day_fill_the_facts(clinician):
    patient = PatientFactory.create(blood_group="O")
    today = timezone.localdate()
    week_ago = today - timedelta(days=7)
    record(patient, clinician, "62238-1", week_ago - timedelta(days=30), "75")
    record(patient, clinician, "33914-3", week_ago, "48")
    record(patient, clinician, "2160-0", week_ago, "1.6")
    record(patient, clinician, "718-7", week_ago, "12.1")
    record(patient, clinician, "718-7", today, "11.9")
    record(patient, clinician, "2458-8", today, "<5")
    record(patient, clinician, "882-1", today, "A POS")
    facts = patient_facts(patient, as_of=today)
    assert (facts.latest_egfr_ml_min_173m2, facts.egfr_on) == (Decimal(48), week_ago)
    assert facts.creatinine_on == week_ago
    assert [(v.taken_on, v.value) for v in facts.hemoglobin_results] == [
        (today, Decimal("11.9")),
        (week_ago, Decimal("12.1")),
    ]
    assert facts.iga_below_detection and facts.iga_on == today
    assert (facts.abo_from_lab, facts.abo_on) == ("A", today)
    assert facts.last_cycle is None  # nothing given yet
    before = patient_facts(patient, as_of=week_ago - timedelta(days=1))
    assert before.latest_egfr_ml_min_173m2 == Decimal(75)
    assert before.creatinine_on is None and before.abo_from_lab is None
    assert not before.iga_below_detection


@pytest.mark.parametrize("patients_asked", [1, 2])
def test_one_patient_or_many_read_the_same_latest_results(clinician, monkeypatch, patients_asked):
    """The latest ``_RULE_RESULTS_READ`` results, whether asked for one patient (a plain limit,
    issue 21) or with others (a window per patient): the newest first, the older left out."""
    monkeypatch.setattr(lab_selectors, "_RULE_RESULTS_READ", 3)
    patient, other = PatientFactory.create(), PatientFactory.create()
    today = timezone.localdate()
    for days_ago, value in enumerate(["11.0", "11.5", "12.0", "12.5", "13.0"]):
        record(patient, clinician, "718-7", today - timedelta(days=days_ago), value)
        record(other, clinician, "718-7", today - timedelta(days=days_ago + 1), value)
    asked = [patient, other][:patients_asked]
    fields = lab_selectors.lab_fact_fields_of(asked, as_of=today)[patient.pk]
    assert [(v.taken_on, v.value) for v in fields["hemoglobin_results"]] == [
        (today, Decimal("11.0")),
        (today - timedelta(days=1), Decimal("11.5")),
        (today - timedelta(days=2), Decimal("12.0")),
    ]


def test_one_patient_s_results_are_read_without_a_window(clinician):
    """Every page planning one order reads its patient's results with a plain limit: Django
    compiles the per-patient window (and its outer query) at several times the cost
    (issue 21)."""
    patient = PatientFactory.create()
    with CaptureQueriesContext(connection) as queries:
        lab_selectors.lab_fact_fields_of([patient], as_of=timezone.localdate())
    (query,) = queries.captured_queries
    assert "ROW_NUMBER" not in query["sql"].upper() and "LIMIT 200" in query["sql"].upper()
