"""Laboratory results (docs/clinical-rules.md 3.8.2): the catalogue, recording through the real
URLs (page and API), bounds, duplicates, the all-or-nothing import and the trends."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.labs.models import LabResult, LabTest
from orders.labs.selectors import TREND_LENGTH
from orders.labs.services import blood_group_text, lab_import_csv, lab_result_record
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db


def labs_url(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/labs/"


def test_the_catalogue_is_seeded_with_units():
    units = dict(LabTest.objects.values_list("code", "unit"))
    assert units["2160-0"] == "mg/dL"
    assert units["62238-1"] == units["33914-3"] == "mL/min/1.73 m²"
    assert units["718-7"] == "g/dL"
    assert units["2465-3"] == units["2458-8"] == "mg/dL"
    assert units["L-DSG1"] == units["L-DSG3"] == units["L-BP180"] == units["L-BP230"] == "U/mL"
    assert LabTest.objects.get(code="882-1").kind == "blood_group"
    assert LabTest.objects.get(code="L-ANTI-IGA").kind == "qualitative"


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_clinicians_and_nurses_record_through_the_api(role, request, client_for):
    user = request.getfixturevalue(role)
    patient = PatientFactory.create()
    today = timezone.localdate().isoformat()
    answer = client_for(user).post(
        labs_url(patient),
        {"test": "62238-1", "taken_on": today, "value": "48", "unit": "mL/min/1.73 m2"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["value"] == "48"
    assert answer.json()["shown"] == "48 mL/min/1.73 m²"
    again = client_for(user).post(
        labs_url(patient),
        {"test": "62238-1", "taken_on": today, "value": "48.0"},
        content_type="application/json",
    )
    assert again.status_code == 200  # a duplicate: ignored, the stored result returned
    assert LabResult.objects.filter(patient=patient).count() == 1
    listed = client_for(user).get(labs_url(patient)).json()
    assert [row["test"] for row in listed["results"]] == ["62238-1"]


def test_pharmacists_read_but_do_not_record(pharmacist, client_for):
    patient = PatientFactory.create()
    client = client_for(pharmacist)
    assert client.get(labs_url(patient)).status_code == 200
    answer = client.post(
        labs_url(patient),
        {"test": "718-7", "taken_on": timezone.localdate().isoformat(), "value": "12"},
        content_type="application/json",
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("test", "value", "unit", "code"),
    [
        ("2160-0", "300", "", "implausible_lab_value"),  # creatinine 300 mg/dL: a unit slip
        ("2160-0", "0.01", "", "implausible_lab_value"),
        ("718-7", "1.9", "", "implausible_lab_value"),
        ("718-7", "25.1", "", "implausible_lab_value"),
        ("2160-0", "88", "umol/L", "wrong_lab_unit"),
        ("2160-0", "abc", "", "invalid"),
        ("L-ANTI-IGA", "maybe", "", "invalid"),
        ("882-1", "C+", "", "invalid"),
    ],
)
def test_absurd_values_are_a_clear_400(clinician, client_for, test, value, unit, code):
    patient = PatientFactory.create()
    answer = client_for(clinician).post(
        labs_url(patient),
        {"test": test, "taken_on": timezone.localdate().isoformat(), "value": value, "unit": unit},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert LabResult.objects.count() == 0


def test_bounds_include_their_ends(clinician):
    patient = PatientFactory.create()
    test = LabTest.objects.get(code="718-7")
    day = timezone.localdate()
    for value in ("2", "25"):
        _, created = lab_result_record(patient, by=clinician, test=test, taken_on=day, value=value)
        assert created


def test_a_future_result_is_refused(clinician, client_for):
    patient = PatientFactory.create()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    answer = client_for(clinician).post(
        labs_url(patient),
        {"test": "718-7", "taken_on": tomorrow, "value": "12"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "taken_on" in answer.json()["field_errors"]


@pytest.mark.parametrize(
    ("raw", "group"),
    [("A+", "A+"), ("a pos", "A+"), ("O Rh-", "O-"), ("AB NEGATIVE", "AB-"), ("B", None)],
)
def test_blood_groups_are_read_as_labs_write_them(raw, group):
    assert blood_group_text(raw) == group


def test_below_the_detection_limit_is_kept(clinician):
    patient = PatientFactory.create()
    iga = LabTest.objects.get(code="2458-8")
    result, _ = lab_result_record(
        patient, by=clinician, test=iga, taken_on=timezone.localdate(), value="<5"
    )
    assert result.below_detection_limit and result.value == Decimal(5)
    assert result.shown == "< 5 mg/dL"


def test_the_page_form_records_and_the_patient_page_shows_the_trend(clinician, client_for):
    patient = PatientFactory.create()
    client = client_for(clinician)
    creatinine = LabTest.objects.get(code="2160-0")
    today = timezone.localdate()
    for days_ago in range(TREND_LENGTH + 2):
        answer = client.post(
            f"/orders/patients/{patient.pk}/labs/add/",
            {
                "test": creatinine.pk,
                "taken_on": (today - timedelta(days=days_ago)).isoformat(),
                "value": f"1.{days_ago:02d}",
            },
        )
        assert answer.status_code == 302
    page = client.get(f"/orders/patients/{patient.pk}/").content.decode()
    assert 'data-testid="lab-trend-2160-0"' in page
    assert "reference 0.5\u20131.2 mg/dL" in page
    table = page.split('data-testid="lab-trend-2160-0"')[1].split("</table>")[0]
    assert table.count("<tr>") == TREND_LENGTH + 1  # the header and the last 10
    assert table.index("1 mg/dL") < table.index("1.01 mg/dL")  # newest first


def test_the_page_form_shows_an_absurd_value_on_its_field(nurse, client_for):
    patient = PatientFactory.create()
    answer = client_for(nurse).post(
        f"/orders/patients/{patient.pk}/labs/add/",
        {
            "test": LabTest.objects.get(code="718-7").pk,
            "taken_on": timezone.localdate().isoformat(),
            "value": "140",
        },
    )
    assert answer.status_code == 200
    assert "not plausible" in answer.content.decode()


EXPORT = """mrn,loinc,taken_on,value,unit
{mrn},2160-0,{day},1.4,mg/dL
{mrn},62238-1,{day},48,mL/min/1.73m2
{mrn},2458-8,{day},<5,mg/dL
{mrn},882-1,{day},A POS,
{mrn},2160-0,{day},1.4,mg/dL
"""


def test_an_export_is_imported_and_duplicates_ignored(clinician):
    patient = PatientFactory.create(mrn="LAB-1")
    text = EXPORT.format(mrn="LAB-1", day=timezone.localdate().isoformat())
    report = lab_import_csv(text, by=clinician)
    assert report.accepted
    assert (report.rows, report.imported, report.duplicates) == (5, 4, 1)
    again = lab_import_csv(text, by=clinician)
    assert (again.imported, again.duplicates) == (0, 5)
    assert patient.lab_results.count() == 4
    assert patient.lab_results.get(test__code="882-1").text == "A+"


def test_one_bad_row_refuses_the_whole_export(clinician):
    PatientFactory.create(mrn="LAB-2")
    day = timezone.localdate().isoformat()
    text = EXPORT.format(mrn="LAB-2", day=day) + (
        f"LAB-2,2160-0,{day},88,umol/L\nNOBODY,718-7,{day},12,g/dL\nLAB-2,9999-9,{day},1,\n"
        f"LAB-2,718-7,2026-13-01,12,g/dL\n"
    )
    report = lab_import_csv(text, by=clinician)
    assert not report.accepted
    assert [line for line, _ in report.refused] == [7, 8, 9, 10]
    assert "not umol/L" in report.refused[0][1]
    assert "no patient with MRN 'NOBODY'" in report.refused[1][1]
    assert "unknown test code" in report.refused[2][1]
    assert "not a date" in report.refused[3][1]
    assert LabResult.objects.count() == 0  # nothing half-imported


def test_the_upload_page_reports_refused_rows(clinician, client_for):
    PatientFactory.create(mrn="LAB-3")
    day = timezone.localdate().isoformat()
    body = (
        f"mrn,loinc,taken_on,value,unit\nLAB-3,718-7,{day},12.5,g/dL\nLAB-3,718-7,{day},99,g/dL\n"
    )
    client = client_for(clinician)
    refused = client.post(
        "/orders/labs/import/", {"file": SimpleUploadedFile("labs.csv", body.encode())}
    )
    assert refused.status_code == 400
    assert "Nothing imported" in refused.content.decode()
    assert LabResult.objects.count() == 0
    good = body.splitlines()[:2]
    accepted = client.post(
        "/orders/labs/import/",
        {"file": SimpleUploadedFile("labs.csv", "\n".join(good).encode())},
    )
    assert accepted.status_code == 200
    assert LabResult.objects.count() == 1


def test_the_upload_page_is_for_clinicians_and_nurses(pharmacist, client_for):
    assert client_for(pharmacist).get("/orders/labs/import/").status_code == 403


def test_a_file_without_the_columns_is_refused(clinician, client_for):
    answer = client_for(clinician).post(
        "/orders/labs/import/", {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")}
    )
    assert answer.status_code == 400
    assert "missing: mrn, loinc, taken_on, value, unit" in answer.content.decode()


def test_the_management_command(clinician, tmp_path):
    PatientFactory.create(mrn="LAB-4")
    day = timezone.localdate().isoformat()
    path = tmp_path / "labs.csv"
    path.write_text(f"mrn,loinc,taken_on,value,unit\nLAB-4,718-7,{day},12.5,g/dL\n")
    out = StringIO()
    call_command("import_labs", str(path), user=clinician.username, stdout=out)
    assert "1 results imported" in out.getvalue()
    path.write_text(f"mrn,loinc,taken_on,value,unit\nLAB-4,718-7,{day},250,g/dL\n")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_labs", str(path), user=clinician.username, stderr=err)
    assert "line 2:" in err.getvalue()
