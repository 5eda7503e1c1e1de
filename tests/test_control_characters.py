"""Control characters (CR, LF, tab …) are refused in MRNs and chair names (issue 22): they would
split a line of a log, a CSV export or a calendar feed."""

import json

import pytest
from django.urls import reverse

from infusions.models import Chair
from orders.models import Patient

pytestmark = pytest.mark.django_db

BAD = ["A\r\nB", "A\nB", "A\tB", "A\x1bB", "A\x85B"]


@pytest.mark.parametrize("mrn", BAD)
def test_an_mrn_with_a_control_character_is_a_400_through_the_api(clinician, client_for, mrn):
    body = {
        "mrn": mrn,
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": "1970-01-01",
        "sex": "female",
    }
    answer = client_for(clinician).post(
        "/api/v1/patients/", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 400, answer.content
    assert "Control characters" in answer.json()["field_errors"]["mrn"][0]
    assert not Patient.objects.exists()


def test_an_mrn_with_a_line_break_is_refused_on_the_page(clinician, client_for):
    data = {
        "mrn": "A\rB",
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": "1970-01-01",
        "sex": "female",
    }
    page = client_for(clinician).post(reverse("orders:patient-create"), data)
    assert "Control characters" in page.content.decode()
    assert not Patient.objects.exists()


@pytest.mark.parametrize("field", ["name", "location"])
@pytest.mark.parametrize("text", BAD)
def test_a_chair_name_with_a_control_character_is_a_400(nurse, client_for, field, text):
    body = {"name": "Chair 9", field: text}
    answer = client_for(nurse).post(
        "/api/v1/chairs/", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["field_errors"]
    assert not Chair.objects.filter(name__startswith="A").exists()


def test_a_plain_chair_name_is_saved(nurse, client_for):
    answer = client_for(nurse).post(
        "/api/v1/chairs/", json.dumps({"name": "Chair 9"}), content_type="application/json"
    )
    assert answer.status_code == 201
