"""Patient pages through real URLs: roles, search, forms, access log, history, query counts."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ivig.accounts.roles import Role
from ivig.audit.models import AccessLog
from orders.models import Patient
from orders.patients.services import patient_create, patient_update
from tests.dates import born_on_this_day
from tests.orders.factories import PatientFactory, PatientWeightFactory, weighed_patients

pytestmark = pytest.mark.django_db

READ_PAGES = ["orders:patient-list", "orders:patient-detail"]
WRITE_PAGES = ["orders:patient-create", "orders:patient-edit", "orders:patient-weight-add"]


def url(name: str, patient: Patient) -> str:
    return (
        reverse(name)
        if name in ("orders:patient-list", "orders:patient-create")
        else (reverse(name, args=[patient.pk]))
    )


def form_data(patient: Patient | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "mrn": "A-1001",
        "family_name": "Doe",
        "given_name": "Jane",
        "date_of_birth": "1969-05-17",
        "sex": "female",
        "height_cm": "168",
        "blood_group": "A",
        "iga_status": "normal",
        "risk_factors": ["migraine", "diabetes"],
        "allergies": "",
        "notes": "",
    }
    if patient is not None:
        data.update(
            mrn=patient.mrn,
            family_name=patient.family_name,
            given_name=patient.given_name,
            date_of_birth=patient.date_of_birth.isoformat(),
            sex=patient.sex,
            height_cm=str(patient.height_cm or ""),
            blood_group=patient.blood_group,
            iga_status=patient.iga_status,
            risk_factors=patient.risk_factors,
            version=patient.version,
        )
    data.update(overrides)
    return data


@pytest.fixture
def patient(clinician):
    return patient_create(
        by=clinician,
        mrn="MRN-42",
        family_name="Okafor",
        given_name="Grace",
        date_of_birth=born_on_this_day(1970),
        sex="female",
        height_cm=Decimal("165"),
        risk_factors=["migraine", "renal_impairment"],
        weight_kg=Decimal("101.2"),
    )


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", READ_PAGES)
def test_every_role_reads_patients(role, name, users_by_role, client_for, patient):
    assert client_for(users_by_role[role]).get(url(name, patient)).status_code == 200


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", WRITE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_clinicians_open_the_forms(role, name, method, users_by_role, client_for, patient):
    client = client_for(users_by_role[role])
    response = getattr(client, method)(url(name, patient), {} if method == "post" else None)
    assert response.status_code == (200 if role is Role.CLINICIAN else 403)


@pytest.mark.parametrize("role", [Role.PHARMACIST, Role.NURSE, Role.AUTHORIZATION_ADMIN])
def test_a_refused_post_changes_nothing(role, users_by_role, client_for, patient):
    client = client_for(users_by_role[role])
    client.post(url("orders:patient-edit", patient), form_data(patient, family_name="X"))
    client.post(url("orders:patient-create", patient), form_data(mrn="NEW"))
    client.post(
        url("orders:patient-weight-add", patient), {"weight_kg": "50", "measured_on": "2026-01-01"}
    )
    patient.refresh_from_db()
    assert patient.family_name == "Okafor"
    assert Patient.objects.count() == 1
    assert patient.weights.count() == 1


@pytest.mark.parametrize("name", READ_PAGES + WRITE_PAGES)
def test_anonymous_users_are_sent_to_sign_in(name, patient):
    response = Client().get(url(name, patient))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_read_only_roles_see_no_edit_links(nurse, client_for, patient):
    page = client_for(nurse).get(url("orders:patient-detail", patient)).content.decode()
    assert 'data-testid="patient-edit"' not in page
    assert 'data-testid="weight-form"' not in page
    listing = client_for(nurse).get(reverse("orders:patient-list")).content.decode()
    assert 'data-testid="patient-create"' not in listing


def test_unknown_patient_is_404(clinician, client_for):
    assert (
        client_for(clinician).get(reverse("orders:patient-detail", args=[999])).status_code == 404
    )


# --- list and search -------------------------------------------------------------------------


@pytest.fixture
def three_patients():
    return [
        PatientFactory.create(mrn="MRN-100", family_name="Okafor", given_name="Grace"),
        PatientFactory.create(mrn="MRN-200", family_name="Moreau", given_name="Henri"),
        PatientFactory.create(mrn="X-300", family_name="Nakamura", given_name="Yui"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"MRN-100", "MRN-200", "X-300"}),
        ("mrn-2", {"MRN-200"}),
        ("x-300", {"X-300"}),
        ("okafor", {"MRN-100"}),
        ("Henri", {"MRN-200"}),
        ("grace okafor", {"MRN-100"}),
        ("grace moreau", set()),
        ("MRN", {"MRN-100", "MRN-200"}),
    ],
)
def test_search_by_mrn_or_name(query, expected, nurse, client_for, three_patients):
    response = client_for(nurse).get(reverse("orders:patient-list"), {"q": query})
    found = {row[0].mrn for row in response.context["rows"]}
    assert found == expected
    if not expected:
        assert f"No patient matches “{query}”" in response.content.decode()


def test_list_shows_the_latest_weight_formatted(nurse, client_for, three_patients):
    PatientWeightFactory.create(patient=three_patients[0], weight_kg=Decimal("101.20"))
    PatientWeightFactory.create(
        patient=three_patients[0],
        weight_kg=Decimal("99"),
        measured_on=timezone.localdate() - timedelta(days=40),
    )
    page = client_for(nurse).get(reverse("orders:patient-list"), {"q": "okafor"}).content.decode()
    assert ">101.2<" in page
    assert ">99<" not in page


# session, user, roles, count, page of patients with their latest weights, the read log's one
# row, session save (3), the navigation's unread notifications count
LIST_PAGE_QUERIES = 10


@pytest.mark.parametrize("patients", [1, 30])
def test_the_list_page_costs_the_same_queries_for_any_number_of_patients(
    patients, nurse, client_for, django_assert_max_num_queries
):
    weighed_patients(patients)
    client = client_for(nurse)
    with django_assert_max_num_queries(LIST_PAGE_QUERIES):
        response = client.get(reverse("orders:patient-list"))
    assert len(response.context["rows"]) == patients


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_demographics_weights_risk_labels_and_history(clinician, client_for, patient):
    patient_update(patient, by=clinician, version=1, blood_group="AB")
    page = client_for(clinician).get(url("orders:patient-detail", patient)).content.decode()
    assert "Okafor, Grace" in page
    assert "History of migraine" in page and "Renal impairment" in page
    assert "renal_impairment" not in page
    assert "101.2" in page
    assert "Unknown → AB" in page  # before → after, with who
    assert "dr-test" in page


def test_each_opening_of_the_detail_page_is_logged(nurse, client_for, patient):
    client = client_for(nurse)
    client.get(url("orders:patient-detail", patient))
    client.get(url("orders:patient-detail", patient))
    entries = AccessLog.objects.filter(subject_type="orders.patient", subject_id=str(patient.pk))
    assert entries.count() == 2
    assert {(e.user, e.path) for e in entries} == {(nurse, url("orders:patient-detail", patient))}


def test_the_list_page_logs_the_patients_listed_in_one_row(nurse, client_for, patient):
    client_for(nurse).get(reverse("orders:patient-list"))
    listing = AccessLog.objects.get()
    assert listing.records == {"orders.patient": [str(patient.pk)]}
    assert listing.path == reverse("orders:patient-list")


# session, user, roles, patient, access log, history (2), weights, orders (their overrides are
# one more query when there are any), session save (3), unread notifications count, the
# course chart (4: reviews, completed sessions, order versions, adverse events), lab trends,
# reactions (their sessions' entries are one more query when there are any)
DETAIL_PAGE_QUERIES = 19


@pytest.mark.parametrize("changes", [1, 15])
def test_the_detail_page_costs_the_same_queries_for_any_length_of_history(
    changes, clinician, client_for, patient, django_assert_max_num_queries
):
    for version in range(1, changes + 1):
        patient_update(patient, by=clinician, version=version, notes=f"note {version}")
        PatientWeightFactory.create(patient=patient, recorded_by=clinician)
    client = client_for(clinician)
    with django_assert_max_num_queries(DETAIL_PAGE_QUERIES):
        response = client.get(url("orders:patient-detail", patient))
    assert len(response.context["history"]) == 2 + 2 * changes


# --- create ----------------------------------------------------------------------------------


def test_register_a_patient_with_a_first_weight(clinician, client_for):
    response = client_for(clinician).post(
        reverse("orders:patient-create"),
        form_data(weight_kg="82.5", weight_measured_on="2026-01-05"),
    )
    patient = Patient.objects.get(mrn="A-1001")
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:patient-detail", args=[patient.pk])
    assert patient.risk_factors == ["migraine", "diabetes"]
    weight = patient.weights.get()
    assert (weight.weight_kg, weight.measured_on.isoformat()) == (Decimal("82.5"), "2026-01-05")
    assert patient.history.get().history_user == clinician


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mrn": ""}, "This field is required."),
        ({"risk_factors": ["migraine", "broken_leg"]}, "broken_leg is not one of the available"),
        ({"sex": "male", "pregnant": "on"}, "Only a female patient can be recorded as pregnant."),
        ({"height_cm": "300"}, "less than or equal to 260"),
        ({"height_cm": "tall"}, "Enter a number."),
        ({"date_of_birth": "2999-01-01"}, "The date of birth cannot be in the future."),
        ({"weight_kg": "0.1"}, "greater than or equal to 0.3"),
    ],
)
def test_invalid_registration_shows_errors_and_saves_nothing(
    overrides, message, clinician, client_for
):
    response = client_for(clinician).post(reverse("orders:patient-create"), form_data(**overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page, page
    assert 'data-testid="form-errors"' in page
    assert not Patient.objects.exists()


def test_a_duplicate_mrn_is_shown_on_the_mrn_field(clinician, client_for, patient):
    response = client_for(clinician).post(reverse("orders:patient-create"), form_data(mrn="MRN-42"))
    assert response.status_code == 200
    assert response.context["form"].errors["mrn"]
    assert Patient.objects.count() == 1


# --- edit ------------------------------------------------------------------------------------


def test_edit_saves_and_increments_the_version(clinician, client_for, patient):
    response = client_for(clinician).post(
        url("orders:patient-edit", patient), form_data(patient, height_cm="166", notes="Better")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.height_cm, patient.notes, patient.version) == (Decimal("166"), "Better", 2)


def test_edit_form_carries_the_version(clinician, client_for, patient):
    page = client_for(clinician).get(url("orders:patient-edit", patient)).content.decode()
    assert 'name="version" value="1"' in page


def test_a_stale_edit_is_refused_with_a_clear_message_and_the_entries_kept(
    clinician, make_user, client_for, patient
):
    colleague = make_user("dr-two", Role.CLINICIAN)
    stale = form_data(patient, notes="My careful note")
    assert (
        client_for(colleague)
        .post(url("orders:patient-edit", patient), form_data(patient, blood_group="O"))
        .status_code
        == 302
    )

    response = client_for(clinician).post(url("orders:patient-edit", patient), stale)

    assert response.status_code == 409
    page = response.content.decode()
    assert "This patient was changed by dr-two" in page
    assert "Nothing was saved" in page
    assert "My careful note" in page  # the clinician's entries are still in the form
    patient.refresh_from_db()
    assert (patient.blood_group, patient.notes, patient.version) == ("O", "", 2)


def test_an_invalid_edit_shows_errors_and_saves_nothing(clinician, client_for, patient):
    response = client_for(clinician).post(
        url("orders:patient-edit", patient), form_data(patient, family_name="", risk_factors=["x"])
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"family_name", "risk_factors"}
    patient.refresh_from_db()
    assert (patient.family_name, patient.version) == ("Okafor", 1)


def test_a_tampered_version_is_a_form_error_not_a_500(clinician, client_for, patient):
    response = client_for(clinician).post(
        url("orders:patient-edit", patient), form_data(patient, version="abc")
    )
    assert response.status_code == 200
    assert "version" in response.context["form"].errors


# --- weights ---------------------------------------------------------------------------------


def test_record_a_weight(clinician, client_for, patient):
    today = timezone.localdate().isoformat()
    response = client_for(clinician).post(
        url("orders:patient-weight-add", patient), {"weight_kg": "99.8", "measured_on": today}
    )
    assert response.status_code == 302
    latest = patient.weights.first()
    assert (latest.weight_kg, latest.recorded_by) == (Decimal("99.8"), clinician)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"weight_kg": "", "measured_on": "2026-01-01"}, "This field is required."),
        ({"weight_kg": "600", "measured_on": "2026-01-01"}, "less than or equal to 500"),
        ({"weight_kg": "80", "measured_on": "2999-01-01"}, "cannot be measured in the future"),
        ({"weight_kg": "80", "measured_on": "1900-01-01"}, "before the date of birth"),
        ({"weight_kg": "80", "measured_on": "yesterday"}, "Enter a valid date."),
    ],
)
def test_an_invalid_weight_shows_errors_and_saves_nothing(
    data, message, clinician, client_for, patient
):
    response = client_for(clinician).post(url("orders:patient-weight-add", patient), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert patient.weights.count() == 1
