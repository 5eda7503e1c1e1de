"""Patient rules, through ``orders.services`` (docs/clinical-rules.md 1, 3.1, 3.8, 4)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from orders.errors import OrderError
from orders.models import Patient, PatientWeight
from orders.patients.selectors import patient_history
from orders.patients.services import patient_create, patient_update, patient_weight_record
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db


def register(by, **overrides):
    values = {
        "mrn": "A-1001",
        "family_name": "Doe",
        "given_name": "Jane",
        "date_of_birth": date(1969, 5, 17),
        "sex": "female",
        "height_cm": Decimal("168"),
        "blood_group": "A",
        "iga_status": "normal",
        "risk_factors": ["migraine"],
        **overrides,
    }
    return patient_create(by=by, **values)


def refusal(call, *args, **kwargs) -> OrderError:
    with pytest.raises(OrderError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- create ----------------------------------------------------------------------------------


def test_create_stores_the_patient_at_version_1_with_history_by_the_user(clinician):
    patient = register(clinician, allergies="Penicillin", notes="Pemphigus vulgaris")
    patient.refresh_from_db()
    assert (patient.mrn, patient.family_name, patient.given_name) == ("A-1001", "Doe", "Jane")
    assert patient.height_cm == Decimal("168")
    assert patient.risk_factors == ["migraine"]
    assert patient.version == 1
    (record,) = patient.history.all()
    assert (record.history_type, record.history_user) == ("+", clinician)


def test_create_with_a_first_weight_records_it_by_the_user(clinician):
    patient = register(clinician, weight_kg=Decimal("82.5"))
    weight = patient.weights.get()
    assert weight.weight_kg == Decimal("82.5")
    assert weight.measured_on == timezone.localdate()
    assert weight.recorded_by == clinician
    assert weight.history.get().history_user == clinician


def test_create_trims_names_and_orders_risk_factors(clinician):
    patient = register(
        clinician, mrn=" A-7 ", family_name=" Doe ", risk_factors=["diabetes", "migraine"]
    )
    assert (patient.mrn, patient.family_name) == ("A-7", "Doe")
    assert patient.risk_factors == ["migraine", "diabetes"]


def test_a_duplicate_mrn_is_refused(clinician):
    register(clinician)
    error = refusal(register, clinician, given_name="John")
    assert error.code == OrderError.INVALID
    assert "mrn" in error.field_errors
    assert Patient.objects.count() == 1


def test_a_duplicate_mrn_that_slips_past_validation_is_refused_not_a_500(clinician, monkeypatch):
    """Two registrations racing: the unique index refuses the second, as an OrderError."""
    register(clinician)
    monkeypatch.setattr(Patient, "validate_unique", lambda self, exclude=None: None)
    error = refusal(register, clinician, given_name="John")
    assert error.code == OrderError.DUPLICATE_MRN
    assert "mrn" in error.field_errors
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"risk_factors": ["migraine", "broken_leg"]}, "risk_factors"),
        ({"risk_factors": ["migraine", "migraine"]}, "risk_factors"),
        ({"sex": "other"}, "sex"),
        ({"blood_group": "C"}, "blood_group"),
        ({"iga_status": "low"}, "iga_status"),
        ({"height_cm": Decimal("19.9")}, "height_cm"),
        ({"height_cm": Decimal("260.1")}, "height_cm"),
        ({"date_of_birth": timezone.localdate() + timedelta(days=1)}, "date_of_birth"),
        ({"sex": "male", "pregnant": True}, "pregnant"),
        ({"mrn": ""}, "mrn"),
        ({"family_name": "  "}, "family_name"),
    ],
)
def test_invalid_patients_are_refused_on_the_field(clinician, overrides, field):
    error = refusal(register, clinician, **overrides)
    assert error.code == OrderError.INVALID
    assert field in error.field_errors, error.field_errors
    assert not Patient.objects.exists()


def test_an_unknown_risk_factor_is_named_in_the_message(clinician):
    error = refusal(register, clinician, risk_factors=["broken_leg"])
    assert "broken_leg" in error.message


def test_an_invalid_first_weight_registers_nothing(clinician):
    error = refusal(register, clinician, weight_kg=Decimal("0.2"))
    assert "weight_kg" in error.field_errors
    assert not Patient.objects.exists()


# --- update ----------------------------------------------------------------------------------


def test_update_changes_fields_increments_version_and_keeps_history(clinician, make_user):
    patient = register(clinician)
    colleague = make_user("dr-two")
    updated = patient_update(
        patient, by=colleague, version=1, height_cm=Decimal("170"), risk_factors=[]
    )
    assert updated.version == 2
    patient.refresh_from_db()
    assert (patient.height_cm, patient.risk_factors, patient.version) == (Decimal("170"), [], 2)
    latest = patient.history.first()
    assert (latest.history_type, latest.history_user) == ("~", colleague)
    changed = latest.diff_against(latest.prev_record).changed_fields
    assert set(changed) == {"height_cm", "risk_factors"}


def test_a_stale_version_is_refused_and_the_first_change_is_kept(clinician, make_user):
    patient = register(clinician)
    colleague = make_user("dr-two")
    colleague.first_name, colleague.last_name = "Dana", "Two"
    colleague.save()
    patient_update(patient, by=colleague, version=1, blood_group="O")

    error = refusal(patient_update, patient, by=clinician, version=1, blood_group="B")

    assert error.code == OrderError.STALE_VERSION
    assert error.is_conflict
    assert "Dana Two" in error.message and "version 1" in error.message
    patient.refresh_from_db()
    assert (patient.blood_group, patient.version) == ("O", 2)


def test_a_stale_version_is_refused_even_when_the_read_raced(clinician, monkeypatch):
    """The version compare-and-swap holds even if two editors both read version 1."""
    patient = register(clinician)
    real_select_for_update = Patient.objects.select_for_update

    def read_then_someone_saves(*args, **kwargs):
        rows = real_select_for_update(*args, **kwargs)
        stale = list(rows)  # evaluated now: version 1
        Patient.objects.filter(pk=patient.pk).update(version=2)
        return type("Rows", (), {"get": lambda self, **kw: stale[0]})()

    monkeypatch.setattr(Patient.objects, "select_for_update", read_then_someone_saves)
    error = refusal(patient_update, patient, by=clinician, version=1, blood_group="B")
    assert error.code == OrderError.STALE_VERSION
    patient.refresh_from_db()
    assert patient.blood_group == "A"


def test_an_update_that_changes_nothing_saves_nothing(clinician):
    patient = register(clinician, risk_factors=["migraine", "diabetes"])
    same = patient_update(patient, by=clinician, version=1, risk_factors=["diabetes", "migraine"])
    assert same.version == 1
    assert patient.history.count() == 1


def test_an_invalid_update_saves_nothing_and_keeps_the_version(clinician):
    patient = register(clinician, sex="male")
    error = refusal(patient_update, patient, by=clinician, version=1, pregnant=True)
    assert "pregnant" in error.field_errors
    patient.refresh_from_db()
    assert (patient.pregnant, patient.version) == (False, 1)


def test_update_refuses_an_mrn_taken_by_another_patient(clinician):
    register(clinician)
    other = register(clinician, mrn="B-2")
    error = refusal(patient_update, other, by=clinician, version=1, mrn="A-1001")
    assert "mrn" in error.field_errors


def test_update_refuses_fields_that_are_not_the_clinicians(clinician):
    patient = register(clinician)
    with pytest.raises(TypeError):
        patient_update(patient, by=clinician, version=1, created_at=timezone.now())


# --- weights ---------------------------------------------------------------------------------


def test_weights_accumulate_and_the_latest_comes_first(clinician):
    patient = register(clinician)
    today = timezone.localdate()
    patient_weight_record(
        patient, by=clinician, weight_kg=Decimal("80"), measured_on=today - timedelta(days=60)
    )
    patient_weight_record(patient, by=clinician, weight_kg=Decimal("82.5"), measured_on=today)
    patient_weight_record(
        patient, by=clinician, weight_kg=Decimal("81"), measured_on=today - timedelta(days=30)
    )
    assert [w.weight_kg for w in patient.weights.all()] == [
        Decimal("82.5"),
        Decimal("81"),
        Decimal("80"),
    ]
    assert {w.recorded_by for w in patient.weights.all()} == {clinician}


@pytest.mark.parametrize(
    ("weight_kg", "days_from_today", "field"),
    [
        (Decimal("0.29"), 0, "weight_kg"),
        (Decimal("500.01"), 0, "weight_kg"),
        (Decimal("80"), 1, "measured_on"),
    ],
)
def test_implausible_weights_are_refused(clinician, weight_kg, days_from_today, field):
    patient = register(clinician)
    error = refusal(
        patient_weight_record,
        patient,
        by=clinician,
        weight_kg=weight_kg,
        measured_on=timezone.localdate() + timedelta(days=days_from_today),
    )
    assert field in error.field_errors
    assert not PatientWeight.objects.exists()


def test_a_weight_before_birth_is_refused(clinician):
    patient = register(clinician, date_of_birth=date(2020, 1, 1))
    error = refusal(
        patient_weight_record,
        patient,
        by=clinician,
        weight_kg=Decimal("3"),
        measured_on=date(2019, 12, 31),
    )
    assert "measured_on" in error.field_errors


def test_clinical_limits_are_the_engines_not_the_records(clinician):
    """0.5 kg and 400 kg are outside the engine's 1-350 kg but physically possible."""
    patient = register(clinician)
    for weight_kg in (Decimal("0.5"), Decimal("400")):
        patient_weight_record(
            patient,
            by=clinician,
            weight_kg=weight_kg,
            measured_on=timezone.localdate(),
            confirm_unusual=True,  # docs/clinical-rules.md 3.1.1: unusual, yet confirmed
        )
    assert patient.weights.count() == 2


# --- database constraints (the last line of defence) ----------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"height_cm": Decimal("10")},
        {"height_cm": Decimal("300")},
        {"sex": "male", "pregnant": True},
        {"sex": "other"},
        {"blood_group": "Z"},
        {"iga_status": "low"},
    ],
)
def test_the_database_refuses_impossible_patients(values):
    with pytest.raises(IntegrityError):
        PatientFactory.create(**values)


@pytest.mark.parametrize("weight_kg", [Decimal("0.2"), Decimal("501")])
def test_the_database_refuses_impossible_weights(clinician, weight_kg):
    with pytest.raises(IntegrityError):
        PatientWeight.objects.create(
            patient=PatientFactory.create(),
            weight_kg=weight_kg,
            measured_on=date(2026, 1, 1),
            recorded_by=clinician,
        )


# --- history ---------------------------------------------------------------------------------


def test_history_shows_who_changed_what_before_and_after(clinician, make_user):
    patient = register(clinician, weight_kg=Decimal("82.5"))
    colleague = make_user("dr-two")
    patient_update(
        patient,
        by=colleague,
        version=1,
        iga_status="deficient",
        risk_factors=["migraine", "diabetes"],
    )

    entries = patient_history(patient)

    assert [(e.subject, e.action, e.who) for e in entries] == [
        ("Patient record", "changed", colleague),
        ("Weight", "created", clinician),
        ("Patient record", "created", clinician),
    ]
    assert {(c.label, c.before, c.after) for c in entries[0].changes} == {
        ("IgA status", "Normal", "IgA deficient (antibodies unknown or absent)"),
        ("risk factors", "History of migraine", "History of migraine, Diabetes"),
    }
    assert ("weight (kg)", "—", "82.5") in {
        (c.label, c.before, c.after) for c in entries[1].changes
    }
    assert ("MRN", "—", "A-1001") in {(c.label, c.before, c.after) for c in entries[2].changes}
