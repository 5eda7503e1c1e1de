"""The API's lists count at most ``COUNT_AHEAD`` rows past the page (ivig/api/pagination.py): a
long list's page costs the same whatever the rows behind it, and says when it stopped counting."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ivig.api import pagination
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db

PATIENTS = "/api/v1/patients/"


@pytest.fixture
def six_patients(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_AHEAD", 3)
    PatientFactory.create_batch(6)


def test_a_short_list_is_counted_whole(clinician, client_for):
    PatientFactory.create_batch(2)
    body = client_for(clinician).get(PATIENTS).json()
    assert (body["count"], body["count_complete"]) == (2, True)


def test_a_long_list_is_counted_to_the_window_past_the_offset(clinician, client_for, six_patients):
    client = client_for(clinician)
    first = client.get(PATIENTS, {"limit": 2}).json()
    assert (first["count"], first["count_complete"], len(first["results"])) == (3, False, 2)
    assert first["next"] is not None
    later = client.get(PATIENTS, {"limit": 2, "offset": 4}).json()
    assert (later["count"], later["count_complete"], len(later["results"])) == (6, True, 2)
    assert later["next"] is None


def test_the_count_stops_at_the_window(clinician, client_for, six_patients):
    with CaptureQueriesContext(connection) as captured:
        client_for(clinician).get(PATIENTS, {"limit": 2})
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper() and "patient" in q["sql"]]
    assert len(counts) == 1
    assert "LIMIT 4" in counts[0] and "ORDER BY" not in counts[0]
