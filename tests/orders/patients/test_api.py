"""Patients, weights and indications under /api/v1/ (docs/clinical-rules.md 1, 4, 9)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from ivig.accounts.roles import Role
from ivig.audit.models import AccessLog
from orders.models import Patient
from orders.patients.services import patient_create, patient_update
from tests.dates import born_on_this_day
from tests.orders.factories import PatientFactory, PatientWeightFactory, weighed_patients

pytestmark = pytest.mark.django_db

PATIENTS = "/api/v1/patients/"


def detail(patient: Patient) -> str:
    return f"{PATIENTS}{patient.pk}/"


def weights(patient: Patient) -> str:
    return f"{PATIENTS}{patient.pk}/weights/"


def new_patient(**overrides) -> dict:
    return {
        "mrn": "A-1001",
        "family_name": "Doe",
        "given_name": "Jane",
        "date_of_birth": "1969-05-17",
        "sex": "female",
        "height_cm": "168",
        "blood_group": "A",
        "iga_status": "normal",
        "risk_factors": ["migraine"],
        **overrides,
    }


@pytest.fixture
def patient(clinician):
    return patient_create(
        by=clinician,
        mrn="MRN-42",
        family_name="Okafor",
        given_name="Grace",
        date_of_birth=born_on_this_day(1970) - timedelta(days=1),
        sex="female",
        height_cm=Decimal("165"),
        risk_factors=["migraine"],
        weight_kg=Decimal("101.2"),
    )


def post(client: Client, path: str, data: dict):
    return client.post(path, data, content_type="application/json")


def patch(client: Client, path: str, data: dict):
    return client.patch(path, data, content_type="application/json")


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    "path",
    [
        lambda p: PATIENTS,
        lambda p: detail(p),
        lambda p: weights(p),
        lambda p: "/api/v1/indications/",
        lambda p: "/api/v1/indications/kawasaki-disease/",
    ],
    ids=["patients", "patient", "weights", "indications", "indication"],
)
def test_every_role_reads(role, path, users_by_role, client_for, patient):
    assert client_for(users_by_role[role]).get(path(patient)).status_code == 200


WRITES = [
    ("post", lambda p: PATIENTS, lambda p: new_patient(mrn="NEW-1"), 201),
    ("patch", lambda p: detail(p), lambda p: {"version": 1, "notes": "x"}, 200),
    ("put", lambda p: detail(p), lambda p: new_patient(mrn="MRN-42", version=1), 200),
    ("post", lambda p: weights(p), lambda p: {"weight_kg": "80", "measured_on": "2026-01-02"}, 201),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("method", "path", "data", "created"), WRITES, ids=["create", "patch", "put", "weight"]
)
def test_only_clinicians_write(
    role, method, path, data, created, users_by_role, client_for, patient
):
    client = client_for(users_by_role[role])
    response = getattr(client, method)(
        path(patient), data(patient), content_type="application/json"
    )
    assert response.status_code == (created if role is Role.CLINICIAN else 403), response.content
    if role is not Role.CLINICIAN:
        patient.refresh_from_db()
        assert (patient.version, patient.weights.count(), Patient.objects.count()) == (1, 1, 1)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_indications_are_read_only(method, clinician, client_for):
    response = getattr(client_for(clinician), method)(
        "/api/v1/indications/kawasaki-disease/", {}, content_type="application/json"
    )
    assert response.status_code == 405


def test_patients_are_never_deleted_through_the_api(clinician, client_for, patient):
    assert client_for(clinician).delete(detail(patient)).status_code == 405


@pytest.mark.parametrize("path", [PATIENTS, "/api/v1/indications/"])
def test_anonymous_callers_are_refused(path):
    assert Client().get(path).status_code in (401, 403)


def test_a_user_without_role_is_refused(make_user, client_for, patient):
    client = client_for(make_user("no-role"))
    assert client.get(PATIENTS).status_code == 403
    assert client.get(detail(patient)).status_code == 403


def test_token_authentication_works(nurse, patient):
    token = Token.objects.create(user=nurse)
    response = Client().get(detail(patient), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert AccessLog.objects.get().user == nurse


# --- patients --------------------------------------------------------------------------------


def test_retrieve_shows_the_patient_with_latest_weight_and_age(nurse, client_for, patient):
    body = client_for(nurse).get(detail(patient)).json()
    assert body["mrn"] == "MRN-42"
    assert body["risk_factors"] == ["migraine"]
    assert body["latest_weight_kg"] == "101.20"
    assert body["latest_weight_measured_on"] == timezone.localdate().isoformat()
    yesterday = timezone.localdate() - timedelta(days=1)  # the birthday (the fixture)
    assert body["age_years"] == yesterday.year - patient.date_of_birth.year
    assert body["version"] == 1


def test_each_retrieve_is_logged(pharmacist, client_for, patient):
    client = client_for(pharmacist)
    client.get(detail(patient))
    client.get(detail(patient))
    entries = AccessLog.objects.filter(subject_type="orders.patient", subject_id=str(patient.pk))
    assert entries.count() == 2
    assert {(e.user, e.path) for e in entries} == {(pharmacist, detail(patient))}


def test_reading_weights_is_logged_and_a_listing_names_the_patients_listed(
    nurse, client_for, patient
):
    client = client_for(nurse)
    client.get(PATIENTS)
    listing = AccessLog.objects.get()
    assert listing.records == {"orders.patient": [str(patient.pk)]}
    assert listing.path == PATIENTS
    client.get(weights(patient))
    opening = AccessLog.objects.exclude(pk=listing.pk).get()
    assert (opening.subject_type, opening.subject_id) == ("orders.patient", str(patient.pk))


@pytest.mark.parametrize(
    ("search", "expected"),
    [("", {"MRN-1", "MRN-2"}), ("mrn-2", {"MRN-2"}), ("okafor", {"MRN-1"}), ("henri", {"MRN-2"})],
)
def test_list_searches_mrn_or_name(search, expected, nurse, client_for):
    PatientFactory.create(mrn="MRN-1", family_name="Okafor", given_name="Grace")
    PatientFactory.create(mrn="MRN-2", family_name="Moreau", given_name="Henri")
    body = client_for(nurse).get(PATIENTS, {"search": search}).json()
    assert {row["mrn"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


# session, user, roles, count, page of patients with latest weights, the read log's one row,
# session save (3)
API_LIST_QUERIES = 9


@pytest.mark.parametrize("patients", [1, 30])
def test_the_list_costs_the_same_queries_for_any_number_of_patients(
    patients, nurse, client_for, django_assert_max_num_queries
):
    weighed_patients(patients)
    client = client_for(nurse)
    with django_assert_max_num_queries(API_LIST_QUERIES):
        body = client.get(PATIENTS).json()
    assert body["count"] == patients
    assert all(row["latest_weight_kg"] == "82.50" for row in body["results"])


def test_create_registers_with_a_first_weight(clinician, client_for):
    response = post(
        client_for(clinician),
        PATIENTS,
        new_patient(weight_kg="82.5", weight_measured_on="2026-01-05"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mrn"], body["version"], body["latest_weight_kg"]) == ("A-1001", 1, "82.50")
    assert body["latest_weight_measured_on"] == "2026-01-05"
    patient = Patient.objects.get(mrn="A-1001")
    assert patient.history.get().history_user == clinician
    assert patient.weights.get().recorded_by == clinician


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (new_patient(risk_factors=["migraine", "broken_leg"]), "risk_factors"),
        (new_patient(sex="other"), "sex"),
        (new_patient(blood_group="C"), "blood_group"),
        (new_patient(iga_status="low"), "iga_status"),
        (new_patient(height_cm="tall"), "height_cm"),
        (new_patient(height_cm="300"), "height_cm"),
        (new_patient(date_of_birth="17/05/1969"), "date_of_birth"),
        (new_patient(date_of_birth="2999-01-01"), "date_of_birth"),
        (new_patient(sex="male", pregnant=True), "pregnant"),
        (new_patient(weight_kg="0.1"), "weight_kg"),
        (new_patient(favourite_colour="blue"), "favourite_colour"),
        ({k: v for k, v in new_patient().items() if k != "mrn"}, "mrn"),
    ],
)
def test_bad_input_is_a_400_with_field_messages(data, field, clinician, client_for):
    response = post(client_for(clinician), PATIENTS, data)
    assert response.status_code == 400
    body = response.json()["field_errors"]
    assert body.get(field), body
    assert not Patient.objects.exists()


def test_a_duplicate_mrn_is_a_400_on_the_mrn(clinician, client_for, patient):
    response = post(client_for(clinician), PATIENTS, new_patient(mrn="MRN-42"))
    assert response.status_code == 400
    assert "mrn" in response.json()["field_errors"]


def test_malformed_json_is_a_400(clinician, client_for):
    response = client_for(clinician).post(PATIENTS, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_patch_with_the_current_version_saves_and_increments(clinician, client_for, patient):
    response = patch(client_for(clinician), detail(patient), {"version": 1, "blood_group": "AB"})
    assert response.status_code == 200, response.content
    assert (response.json()["blood_group"], response.json()["version"]) == ("AB", 2)
    assert patient.history.first().history_user == clinician


def test_a_stale_version_is_a_409_with_a_clear_message(clinician, make_user, client_for, patient):
    patient_update(patient, by=make_user("dr-two"), version=1, blood_group="O")
    response = patch(client_for(clinician), detail(patient), {"version": 1, "blood_group": "B"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert "changed by dr-two" in body["detail"] and "Nothing was saved" in body["detail"]
    patient.refresh_from_db()
    assert (patient.blood_group, patient.version) == ("O", 2)


def test_an_update_without_a_version_is_a_400(clinician, client_for, patient):
    response = patch(client_for(clinician), detail(patient), {"blood_group": "B"})
    assert response.status_code == 400
    assert "version" in response.json()["field_errors"]


def test_a_cross_field_refusal_from_the_service_is_a_400_on_the_field(
    clinician, client_for, patient
):
    patient_update(patient, by=clinician, version=1, pregnant=True)
    response = patch(client_for(clinician), detail(patient), {"version": 2, "sex": "male"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "pregnant" in response.json()["field_errors"]


def test_unknown_patient_is_404(nurse, client_for):
    assert client_for(nurse).get(f"{PATIENTS}999/").status_code == 404
    assert client_for(nurse).get(f"{PATIENTS}999/weights/").status_code == 404


# --- weights ---------------------------------------------------------------------------------


def test_weights_are_listed_latest_first(nurse, client_for, patient):
    PatientWeightFactory.create(
        patient=patient,
        weight_kg=Decimal("99"),
        measured_on=timezone.localdate() - timedelta(days=9),
    )
    body = client_for(nurse).get(weights(patient)).json()
    assert [row["weight_kg"] for row in body["results"]] == ["101.20", "99.00"]
    assert body["results"][0]["recorded_by"] == "dr-test"


def test_record_a_weight(clinician, client_for, patient):
    today = timezone.localdate().isoformat()
    response = post(
        client_for(clinician), weights(patient), {"weight_kg": "100.4", "measured_on": today}
    )
    assert response.status_code == 201, response.content
    assert response.json()["weight_kg"] == "100.40"
    assert patient.weights.first().recorded_by == clinician


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"weight_kg": "600", "measured_on": "2026-01-01"}, "weight_kg"),
        ({"weight_kg": "heavy", "measured_on": "2026-01-01"}, "weight_kg"),
        ({"weight_kg": "80"}, "measured_on"),
        ({"weight_kg": "80", "measured_on": "2999-01-01"}, "measured_on"),
        ({"weight_kg": "80", "measured_on": "2026-01-01", "recorded_by": 1, "x": 1}, "x"),
    ],
)
def test_a_bad_weight_is_a_400_on_the_field(data, field, clinician, client_for, patient):
    response = post(client_for(clinician), weights(patient), data)
    assert response.status_code == 400
    assert field in response.json()["field_errors"], response.json()
    assert patient.weights.count() == 1


# --- indications -----------------------------------------------------------------------------


def test_indications_are_listed_whole(nurse, client_for):
    body = client_for(nurse).get("/api/v1/indications/").json()
    assert len(body) == 55
    assert {"slug", "name", "icd10_code", "max_g_per_kg_per_28_days"} <= set(body[0])


def test_indication_by_slug(nurse, client_for):
    body = client_for(nurse).get("/api/v1/indications/toxic-epidermal-necrolysis/").json()
    assert (body["max_g_per_kg_per_28_days"], body["default_total_g_per_kg"]) == ("3.00", "3.00")
    assert body["icd10_code"] == "L51.2"
    assert client_for(nurse).get("/api/v1/indications/no-such-thing/").status_code == 404


def test_indications_filter_by_category(nurse, client_for):
    body = (
        client_for(nurse).get("/api/v1/indications/", {"category": "Drug-induced disorders"}).json()
    )
    assert len(body) == 6


# --- schema ----------------------------------------------------------------------------------


def test_the_endpoints_are_in_the_openapi_schema(clinician, client_for):
    schema = client_for(clinician).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/patients/"])
    assert {"get", "put", "patch"} <= set(paths["/api/v1/patients/{id}/"])
    assert "delete" not in paths["/api/v1/patients/{id}/"]
    assert {"get", "post"} <= set(paths["/api/v1/patients/{patient_id}/weights/"])
    assert "/api/v1/indications/{slug}/" in paths
    assert "409" in paths["/api/v1/patients/{id}/"]["patch"]["responses"]
    params = {p["name"] for p in paths["/api/v1/patients/"]["get"]["parameters"]}
    assert "search" in params
