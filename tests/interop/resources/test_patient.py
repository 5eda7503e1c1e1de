"""FHIR Patient read and search, paging, errors as OperationOutcome, roles and the read log."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from ivig.accounts.roles import Role
from ivig.audit.models import AccessLog
from orders.policies import can_read_patients
from tests.interop.conftest import BASE, validated
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_read_states_the_record_and_validates(clinician, fhir_client, settings):
    settings.FHIR_MRN_SYSTEM = "https://hospital.example/mrn"
    patient = PatientFactory.create(
        mrn="A-17", family_name="Okafor", given_name="Ada", date_of_birth=date(1969, 5, 17)
    )
    response = fhir_client(clinician).get(f"{BASE}/Patient/{patient.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    resource = validated(response.json())
    assert resource.id == str(patient.pk)
    assert resource.meta.versionId == str(patient.version)
    [identifier] = resource.identifier
    assert (identifier.system, identifier.value) == ("https://hospital.example/mrn", "A-17")
    assert identifier.type.coding[0].code == "MR"
    assert (resource.name[0].family, resource.name[0].given) == ("Okafor", ["Ada"])
    assert resource.gender == "female"
    assert resource.birthDate == date(1969, 5, 17)


def test_an_unknown_or_malformed_id_is_a_404_operation_outcome(clinician, fhir_client):
    client = fhir_client(clinician)
    for address in (f"{BASE}/Patient/999999", f"{BASE}/Patient/abc", f"{BASE}/Nothing/1"):
        response = client.get(address)
        assert response.status_code == 404, address
        outcome = validated(response.json())
        assert outcome.get_resource_type() == "OperationOutcome"
        assert outcome.issue[0].severity == "error"
        assert outcome.issue[0].code in ("not-found", "not-supported")


def _ids(bundle) -> list[str]:
    return [entry.resource.id for entry in bundle.entry or []]


def test_search_by_identifier_with_and_without_system(clinician, fhir_client, settings):
    settings.FHIR_MRN_SYSTEM = "https://hospital.example/mrn"
    wanted = PatientFactory.create(mrn="A-17")
    PatientFactory.create(mrn="A-170")
    client = fhir_client(clinician)

    def found(value: str) -> list[str]:
        response = client.get(f"{BASE}/Patient", {"identifier": value})
        assert response.status_code == 200
        bundle = validated(response.json())
        assert bundle.type == "searchset" and bundle.total == len(bundle.entry or [])
        return _ids(bundle)

    assert found("A-17") == [str(wanted.pk)]
    assert found("https://hospital.example/mrn|A-17") == [str(wanted.pk)]
    assert found("urn:other|A-17") == []
    assert found("A-1") == []  # a token is exact


def test_search_by_name_gender_and_birthdate(clinician, fhir_client):
    ada = PatientFactory.create(
        family_name="Okafor", given_name="Ada", sex="female", date_of_birth=date(1969, 5, 17)
    )
    bo = PatientFactory.create(
        family_name="Berg", given_name="Bo", sex="male", date_of_birth=date(1980, 1, 2)
    )
    client = fhir_client(clinician)

    def found(**params: str) -> set[str]:
        response = client.get(f"{BASE}/Patient", params)
        assert response.status_code == 200, response.json()
        return set(_ids(validated(response.json())))

    assert found(name="oka") == {str(ada.pk)}
    assert found(name="bo") == {str(bo.pk)}
    assert found(name="kafor") == set()  # starts with, not contains
    assert found(gender="male") == {str(bo.pk)}
    assert found(gender="female,male") == {str(ada.pk), str(bo.pk)}
    assert found(gender="other") == set()
    assert found(birthdate="1969") == {str(ada.pk)}
    assert found(birthdate="1969-05") == {str(ada.pk)}
    assert found(birthdate="1969-05-17") == {str(ada.pk)}
    assert found(birthdate="1969-05-18") == set()
    assert found(birthdate="gt1969") == {str(bo.pk)}
    assert found(birthdate="lt1980-01-02") == {str(ada.pk)}
    assert found(birthdate="le1980-01-02") == {str(ada.pk), str(bo.pk)}
    assert found(birthdate="ge1980-01-03") == set()
    assert found(birthdate="ne1969") == {str(bo.pk)}
    assert found(_id=str(ada.pk)) == {str(ada.pk)}


def test_repeated_parameters_are_and(clinician, fhir_client):
    inside = PatientFactory.create(date_of_birth=date(1975, 6, 1))
    PatientFactory.create(date_of_birth=date(1960, 6, 1))
    PatientFactory.create(date_of_birth=date(1990, 6, 1))
    response = fhir_client(clinician).get(f"{BASE}/Patient?birthdate=ge1970&birthdate=le1979")
    assert _ids(validated(response.json())) == [str(inside.pk)]


@pytest.mark.parametrize(
    "query",
    [
        "mrn=A-17",  # not a FHIR parameter: refused, never ignored (which would find everyone)
        "name:exact=Ada",  # modifiers are not supported
        "gender=woman",
        "birthdate=1969-13",
        "birthdate=after1969",
        "birthdate=1969-02-30",
        "_count=-1",
        "_count=ten",
        "_offset=x",
        "_offset=1000001",
        "_offset=99999999999999999999999",
        "name=",
        "_format=xml",
    ],
)
def test_bad_searches_are_a_400_operation_outcome(clinician, fhir_client, query):
    PatientFactory.create()
    response = fhir_client(clinician).get(f"{BASE}/Patient?{query}")
    assert response.status_code in (400, 406), query
    outcome = validated(response.json())
    assert outcome.get_resource_type() == "OperationOutcome"
    assert outcome.issue[0].details.text


def test_paging_follows_next_links_to_every_patient_once(clinician, fhir_client):
    patients = PatientFactory.create_batch(7)
    client = fhir_client(clinician)
    seen: list[str] = []
    address = f"{BASE}/Patient?_count=3"
    pages = 0
    while address:
        bundle = validated(client.get(address).json())
        assert bundle.total == 7
        assert len(bundle.entry) <= 3
        seen += _ids(bundle)
        links = {link.relation: link.url for link in bundle.link}
        assert "_count=3" in links["self"]
        address = links.get("next", "")
        pages += 1
        if pages > 1:
            assert "previous" in links
    assert pages == 3
    assert sorted(seen) == sorted(str(p.pk) for p in patients)


def test_a_search_without_count_gives_a_page_of_20_and_a_next_link(clinician, fhir_client):
    PatientFactory.create_batch(21)
    bundle = validated(fhir_client(clinician).get(f"{BASE}/Patient").json())
    assert len(bundle.entry) == 20
    links = {link.relation: link.url for link in bundle.link}
    assert parse_qs(urlsplit(links["self"]).query)["_count"] == ["20"]
    assert parse_qs(urlsplit(links["next"]).query)["_offset"] == ["20"]


def test_count_is_at_most_100(clinician, fhir_client):
    PatientFactory.create_batch(102)
    bundle = validated(fhir_client(clinician).get(f"{BASE}/Patient?_count=500").json())
    assert len(bundle.entry) == 100
    links = {link.relation: link.url for link in bundle.link}
    assert parse_qs(urlsplit(links["self"]).query)["_count"] == ["100"]
    assert parse_qs(urlsplit(links["next"]).query)["_offset"] == ["100"]


def test_count_zero_gives_the_total_only(clinician, fhir_client):
    PatientFactory.create_batch(2)
    bundle = validated(fhir_client(clinician).get(f"{BASE}/Patient?_count=0").json())
    assert bundle.total == 2 and not bundle.entry


def test_anonymous_and_bad_tokens_are_401_operation_outcomes():
    for authorization in (None, "Token not-a-token"):
        client = Client(HTTP_AUTHORIZATION=authorization) if authorization else Client()
        response = client.get(f"{BASE}/Patient")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Token")
        assert validated(response.json()).issue[0].code == "login"


def test_each_role_reads_patients_as_its_policy_says(users_by_role, fhir_client):
    patient = PatientFactory.create()
    for role, user in users_by_role.items():
        response = fhir_client(user).get(f"{BASE}/Patient/{patient.pk}")
        if can_read_patients(user):
            assert response.status_code == 200, role
        else:
            assert response.status_code == 403, role
            assert validated(response.json()).issue[0].code == "forbidden"
    assert can_read_patients(users_by_role[Role.CLINICIAN])


def test_a_user_without_a_role_is_refused(make_user, fhir_client):
    nobody = make_user("no-role")
    response = fhir_client(nobody).get(f"{BASE}/Patient")
    assert response.status_code == 403
    assert not AccessLog.objects.exists()


def test_a_read_is_logged_once_with_the_patient(clinician, fhir_client):
    patient = PatientFactory.create()
    fhir_client(clinician).get(f"{BASE}/Patient/{patient.pk}")
    [log] = AccessLog.objects.all()
    assert log.user == clinician
    assert (log.subject_type, log.subject_id) == ("orders.patient", str(patient.pk))
    assert log.path == f"{BASE}/Patient/{patient.pk}"


def test_a_search_logs_the_patients_on_the_page_only(clinician, fhir_client):
    patients = PatientFactory.create_batch(3)
    response = fhir_client(clinician).get(f"{BASE}/Patient?_count=2")
    shown = _ids(validated(response.json()))
    [log] = AccessLog.objects.all()
    assert log.records == {"orders.patient": shown}
    assert len(shown) == 2 and set(shown) < {str(p.pk) for p in patients}


def test_errors_log_no_read(clinician, fhir_client):
    fhir_client(clinician).get(f"{BASE}/Patient/999999")
    fhir_client(clinician).get(f"{BASE}/Patient?mrn=1")
    assert not AccessLog.objects.exists()


def test_writes_are_not_served(clinician, fhir_client):
    patient = PatientFactory.create()
    client = fhir_client(clinician)
    for method in ("put", "delete", "patch", "post"):
        response = getattr(client, method)(f"{BASE}/Patient/{patient.pk}", {}, format="json")
        assert response.status_code == 405, method
        assert validated(response.json()).issue[0].code == "not-supported"


@pytest.mark.parametrize("bad_id", ["99999999999999999999999", "\u00b2", "1\u0661"])
def test_ids_that_can_name_no_record_are_404_not_a_server_error(clinician, fhir_client, bad_id):
    client = fhir_client(clinician)
    for address in (
        f"{BASE}/Patient/{bad_id}",
        f"{BASE}/Observation/lab-{bad_id}",
        f"{BASE}/MedicationRequest/{bad_id}",
    ):
        assert client.get(address).status_code == 404, address
    for resource, parameter in (("Patient", "_id"), ("Observation", "patient")):
        response = client.get(f"{BASE}/{resource}", {parameter: bad_id})
        assert response.status_code == 200, (resource, parameter)
        assert not validated(response.json()).entry
    assert client.get(f"{BASE}/Patient", {"_count": "\u00b2"}).status_code == 400
