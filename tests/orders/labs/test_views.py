"""Laboratory results shown right (docs/clinical-rules.md 3.8.2): the unit and the reference
range come from the catalogue, every result outside the range is flagged high or low on the
patient page and in the API, and the demo's IgG values are in the catalogue's unit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.seeding.patients_and_orders import COURSE_DEMO_MRN
from orders.labs.models import LabResult, LabTest
from orders.labs.services import lab_result_record
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db

# (test code, value, flag): each end of each kind of range, and a result below the detection
# limit, judged against the catalogue's reference range.
CASES = (
    ("2160-0", "1.4", "high"),  # creatinine 0.5-1.2 mg/dL
    ("2160-0", "1.2", ""),
    ("2160-0", "0.5", ""),
    ("2160-0", "0.4", "low"),
    ("62238-1", "48", "low"),  # eGFR ≥ 60
    ("62238-1", "60", ""),
    ("718-7", "9.8", "low"),  # hemoglobin 12-17.5 g/dL
    ("718-7", "17.6", "high"),
    ("2465-3", "2140", "high"),  # IgG 700-1600 mg/dL
    ("2465-3", "960", ""),
    ("L-DSG1", "20", "high"),  # anti-desmoglein 1 < 20 U/mL
    ("L-DSG1", "19.9", ""),
    ("2458-8", "<5", "low"),  # IgA below the detection limit 5, under 70 mg/dL
)


@pytest.mark.parametrize(("code", "value", "flag"), CASES)
def test_every_result_outside_the_reference_range_is_flagged(
    code, value, flag, clinician, client_for
):
    patient = PatientFactory.create()
    test = LabTest.objects.get(code=code)
    result, _ = lab_result_record(
        patient, by=clinician, test=test, taken_on=timezone.localdate(), value=value
    )
    assert result.flag == flag
    client = client_for(clinician)
    page = client.get(f"/orders/patients/{patient.pk}/").content.decode()
    cell = page.split(f'data-testid="lab-result-{result.pk}"')[1].split("</td>")[0]
    assert f"{value.lstrip('<')} {test.unit}" in cell
    if flag:
        assert f'data-testid="lab-flag-{result.pk}">{flag}</strong>' in cell
    else:
        assert "lab-flag" not in cell
    listed = client.get(f"/api/v1/patients/{patient.pk}/labs/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(row["flag"], row["unit"], row["reference_range"]) for row in rows] == [
        (flag, test.unit, test.reference_range)
    ]


def test_the_unit_shown_is_the_catalogues(clinician):
    """A stored row's own unit column never decides what a person reads."""
    patient = PatientFactory.create()
    igg = LabTest.objects.get(code="2465-3")
    row = LabResult.objects.create(
        patient=patient,
        test=igg,
        taken_on=timezone.localdate(),
        value=Decimal("960"),
        unit="g/L",
        recorded_by=clinician,
    )
    assert row.shown == "960 mg/dL"
    assert igg.reference_range == "700\u20131600 mg/dL"


def test_the_demo_igg_is_in_the_catalogues_unit(settings, client_for, clinician):
    settings.DEBUG = True
    call_command("seed_demo")
    rows = LabResult.objects.filter(patient__mrn=COURSE_DEMO_MRN, test__code="2465-3")
    igg = LabTest.objects.get(code="2465-3")
    assert rows.count() == 2
    for row in rows:
        # Plausible serum IgG in mg/dL: inside the catalogue's accepted values, not g/L.
        assert igg.reference_low is not None and row.value is not None
        assert row.value >= igg.reference_low / 2, row.shown
    today = timezone.localdate()
    by_day = {row.taken_on: row for row in rows}
    peak = by_day[today - timedelta(days=26)]
    assert (peak.shown, peak.flag) == ("2140 mg/dL", "high")
    assert by_day[today - timedelta(days=31)].shown == "960 mg/dL"
    page = client_for(clinician).get(f"/orders/patients/{peak.patient_id}/").content.decode()
    assert "2140 mg/dL" in page and "21.4 mg/dL" not in page
