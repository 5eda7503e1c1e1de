"""The lab CSV import at its limits (docs/clinical-rules.md 3.8.2, issue 22): every malformed
input is a refused-row report or a 400 on the file, never a 500; the patients of a file are
looked up in one query; the import has an API endpoint with the page's all-or-nothing rules."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.labs.models import LabResult
from orders.labs.services import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    IMPORT_REFUSED_LISTED,
    lab_import_csv,
)
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db

PAGE = "/orders/labs/import/"
API = "/api/v1/labs/import/"
HEADER = "mrn,loinc,taken_on,value,unit\n"


def today() -> str:
    return timezone.localdate().isoformat()


def upload(body: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("labs.csv", body if isinstance(body, bytes) else body.encode())


def refused_reasons(report) -> dict[int, str]:
    return dict(report.refused)


def test_the_patients_of_a_file_are_read_in_one_query(clinician):
    """A file of bad rows used to look each row's patient up on its own (30 s, a killed
    worker): the queries no longer grow with the rows."""
    PatientFactory.create(mrn="Q-1")

    def queries(rows: int) -> int:
        body = HEADER + "".join(f"NOBODY-{n},718-7,{today()},12,g/dL\n" for n in range(rows))
        with CaptureQueriesContext(connection) as captured:
            report = lab_import_csv(body, by=clinician)
        assert report.refused_count == rows
        return len(captured)

    assert queries(3) == queries(300) <= 3


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("A\x00B,718-7,{day},12,g/dL", "NUL"),
        ('=HYPERLINK("http://evil.example"),718-7,{day},12,g/dL', "spreadsheet formula"),
        ("@SUM(1),718-7,{day},12,g/dL", "spreadsheet formula"),
        ("+1,718-7,{day},12,g/dL", "spreadsheet formula"),
        ("P-1,718-7,{day},=1+1,g/dL", "spreadsheet formula"),
        ("P-1,718-7,{day},12,-g/dL", "spreadsheet formula"),
        ("P-1,718-7,0001-01-01,12,g/dL", "a day from 1900-01-01"),
        ("P-1,718-7,{day},1e999999,g/dL", "outside what a result can be"),
        ("P-1,718-7,{day},1e999999999,g/dL", "outside what a result can be"),
        ("P-1,718-7,{day},1e-999999999,g/dL", "outside what a result can be"),
        ("P-1,718-7,{day}," + "9" * 5000 + ",g/dL", "longer than"),
    ],
)
def test_a_malformed_row_is_a_refused_row_with_a_short_reason(clinician, client_for, row, words):
    PatientFactory.create(mrn="P-1")
    body = HEADER + f"P-1,718-7,{today()},12,g/dL\n" + row.replace("{day}", today()) + "\n"
    report = lab_import_csv(body, by=clinician)
    assert not report.accepted
    assert list(refused_reasons(report)) == [3]
    reason = refused_reasons(report)[3]
    assert words in reason
    assert len(reason) < 160  # what was sent is quoted 32 characters at most
    page = client_for(clinician).post(PAGE, {"file": upload(body)})
    assert page.status_code == 400
    assert "Nothing imported" in page.content.decode()
    assert LabResult.objects.count() == 0


def test_a_field_over_128_kb_is_a_refused_row_not_a_500(clinician, client_for):
    PatientFactory.create(mrn="P-2")
    body = HEADER + f"P-2,718-7,{today()},12,g/dL\n" + '"' + "x" * (131_072 + 10) + '",1,2,3,4\n'
    for answer in (
        client_for(clinician).post(PAGE, {"file": upload(body)}),
        client_for(clinician).post(API, {"file": upload(body)}),
    ):
        assert answer.status_code == 400, answer.content[:300]
        assert len(answer.content) < 20_000
    assert (
        "not readable CSV"
        in client_for(clinician).post(API, {"file": upload(body)}).json()["refused"][0]["reason"]
    )


def test_fifty_huge_numbers_make_a_small_page(clinician, client_for):
    """50 rows of ``1e999999`` used to echo each value in full (a 50 MB page)."""
    PatientFactory.create(mrn="P-3")
    huge = "1e" + "9" * 6
    body = HEADER + "".join(f"P-3,718-7,{today()},{huge}{'0' * 20},g/dL\n" for _ in range(50))
    page = client_for(clinician).post(PAGE, {"file": upload(body)})
    assert page.status_code == 400
    assert len(page.content) < 60_000


def test_not_utf8_is_a_400_naming_the_line(clinician, client_for):
    body = (HEADER + f"P-4,718-7,{today()},12,g/dL\nM\xfcller,718-7,{today()},12,g/dL\n").encode(
        "latin-1"
    )
    page = client_for(clinician).post(PAGE, {"file": upload(body)})
    assert page.status_code == 400
    assert "not UTF-8 text (line 3)" in page.content.decode()
    api = client_for(clinician).post(API, {"file": upload(body)})
    assert api.status_code == 400
    assert "line 3" in api.json()["field_errors"]["file"][0]


def test_more_rows_than_the_limit_are_refused(clinician):
    PatientFactory.create(mrn="P-5")
    row = f"P-5,718-7,{today()},12,g/dL\n"
    report = lab_import_csv(HEADER + row * (IMPORT_MAX_ROWS + 1), by=clinician)
    assert not report.accepted
    assert report.rows == IMPORT_MAX_ROWS
    assert f"more than {IMPORT_MAX_ROWS} rows" in report.refused[-1][1]
    assert LabResult.objects.count() == 0
    at_the_limit = lab_import_csv(HEADER + row * IMPORT_MAX_ROWS, by=clinician)
    assert at_the_limit.accepted and at_the_limit.duplicates == IMPORT_MAX_ROWS - 1


def test_a_file_over_the_size_limit_is_a_400(clinician, client_for):
    body = HEADER + "x" * (IMPORT_MAX_BYTES + 1 - len(HEADER))
    answer = client_for(clinician).post(PAGE, {"file": upload(body)})
    assert answer.status_code == 400
    assert "larger than 1 MB" in answer.content.decode()


def test_the_refused_rows_listed_are_bounded_and_counted(clinician):
    body = HEADER + "".join(f"NOBODY,718-7,{today()},12,g/dL\n" for _ in range(500))
    report = lab_import_csv(body, by=clinician)
    assert report.refused_count == 500
    assert len(report.refused) == IMPORT_REFUSED_LISTED


# --- the API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_the_api_imports_all_or_nothing(role, request, client_for):
    client = client_for(request.getfixturevalue(role))
    patient = PatientFactory.create(mrn="API-1")
    good = HEADER + f"API-1,718-7,{today()},12.5,g/dL\nAPI-1,718-7,{today()},12.5,g/dL\n"
    created = client.post(API, {"file": upload(good)})
    assert created.status_code == 201, created.content
    assert created.json() == {"rows": 2, "imported": 1, "duplicates": 1}
    assert patient.lab_results.get().value == Decimal("12.5")
    bad = good + f"API-1,718-7,{today()},99,g/dL\nNOBODY,718-7,{today()},1,g/dL\n"
    refused = client.post(API, {"file": upload(bad)})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "lab_import_refused"
    assert body["rows"] == 4 and body["refused_count"] == 2
    assert [row["line"] for row in body["refused"]] == [4, 5]
    assert "not plausible" in body["refused"][0]["reason"]
    assert patient.lab_results.count() == 1


def test_the_api_import_is_for_clinicians_and_nurses(pharmacist, client_for):
    answer = client_for(pharmacist).post(API, {"file": upload(HEADER)})
    assert answer.status_code == 403


def test_the_api_import_needs_the_columns(clinician, client_for):
    answer = client_for(clinician).post(API, {"file": upload("a,b\n1,2\n")})
    assert answer.status_code == 400
    assert "missing: mrn" in answer.json()["field_errors"]["file"][0]
    assert client_for(clinician).post(API, {}).status_code == 400


def test_the_api_import_is_in_the_schema(clinician, client_for):
    schema = client_for(clinician).get("/api/v1/schema/?format=json")
    if schema.status_code != 200:
        from drf_spectacular.generators import SchemaGenerator

        paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    else:
        paths = schema.json()["paths"]
    operation = paths[API]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"201", "400"} <= set(operation["responses"])
