"""Large lab imports run as a Celery task with progress (docs/api.md, lab import; issue 22).

Over ``LAB_IMPORT_BACKGROUND_ROWS`` rows the page and the API queue the file; the task (eager
here) checks every row, then stores the rows in batches, each batch all or nothing. Tests use a
threshold of 5 rows and batches of 3 to stay small; the rules do not depend on the sizes.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ivig.audit.models import AccessLog
from ivig.settings import Environment
from orders.labs import background
from orders.labs.background import lab_import_process, lab_import_queue
from orders.labs.models import LabImport, LabImportStatus, LabResult
from orders.labs.services import lab_import_csv
from orders.labs.tasks import lab_import_process as lab_import_task
from orders.patients.models import Patient
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db

PAGE = "/orders/labs/import/"
API = "/api/v1/labs/import/"
HEADER = "mrn,loinc,taken_on,value,unit\n"


@pytest.fixture(autouse=True)
def small_sizes(settings, monkeypatch):
    settings.LAB_IMPORT_BACKGROUND_ROWS = 5
    monkeypatch.setattr(background, "IMPORT_BATCH_ROWS", 3)


def today() -> str:
    return timezone.localdate().isoformat()


def upload(body: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("labs.csv", body if isinstance(body, bytes) else body.encode())


def big_file() -> str:
    """10 rows of two patients: 8 new results, a duplicate within the file, and one result
    stored before the import."""
    for mrn in ("BG-1", "BG-2"):
        if not Patient.objects.filter(mrn=mrn).exists():
            PatientFactory.create(mrn=mrn)
    rows = [f"BG-{1 + n % 2},718-7,{today()},{10 + n}.5,g/dL" for n in range(8)]
    rows.insert(4, rows[0])  # repeated in the file
    rows.append(f"BG-1,2160-0,{today()},1.1,mg/dL")
    return HEADER + "\n".join(rows) + "\n"


def stored() -> set[tuple]:
    return set(
        LabResult.objects.values_list("patient__mrn", "test__code", "taken_on", "value", "source")
    )


def post_and_run(client, url: str, body: str, capture):
    with capture(execute=True):
        return client.post(url, {"file": upload(body)})


def test_a_big_import_ends_with_the_same_result_as_an_import_at_once(
    clinician, client_for, django_capture_on_commit_callbacks
):
    body = big_file()
    with transaction.atomic():
        at_once = lab_import_csv(body, by=clinician)
        stored_at_once = stored()
        transaction.set_rollback(True)
    assert at_once.accepted and at_once.imported == 9 and at_once.duplicates == 1
    assert LabResult.objects.count() == 0

    client = client_for(clinician)
    answer = post_and_run(client, API, body, django_capture_on_commit_callbacks)
    assert answer.status_code == 202, answer.content
    lab_import = LabImport.objects.get()
    assert answer["Location"] == f"{API}{lab_import.pk}/" == answer.json()["url"]
    status = client.get(answer["Location"]).json()
    assert status["status"] == "done" and status["accepted"] is True
    assert (status["rows"], status["imported"], status["duplicates"]) == (
        at_once.rows,
        at_once.imported,
        at_once.duplicates,
    )
    assert status["rows_done"] == status["rows"] == 10 and status["percent_done"] == 100
    assert status["refused_count"] == 0 and status["refused"] == [] and status["error"] == ""
    assert stored() == stored_at_once
    # Progress moved batch by batch and ended at the total (each step is in the history).
    steps = list(lab_import.history.order_by("history_id").values_list("status", "rows_done"))
    assert steps == [
        ("queued", 0),
        ("running", 0),
        ("running", 3),
        ("running", 6),
        ("running", 9),
        ("running", 10),
        ("done", 10),
    ]
    assert {row.history_user for row in lab_import.history.all()} == {clinician}
    assert LabImport.objects.values_list("text", flat=True).get() == ""  # the file is not kept


def test_a_small_import_stays_at_once(clinician, client_for):
    PatientFactory.create(mrn="SM-1")
    body = HEADER + f"SM-1,718-7,{today()},12,g/dL\n" * 5
    answer = client_for(clinician).post(API, {"file": upload(body)})
    assert answer.status_code == 201
    assert answer.json() == {"rows": 5, "imported": 1, "duplicates": 4}
    assert not LabImport.objects.exists()


def test_refused_rows_in_a_big_import_import_nothing_and_are_reported(
    clinician, client_for, django_capture_on_commit_callbacks
):
    body = big_file() + f"NOBODY,718-7,{today()},12,g/dL\nBG-1,718-7,{today()},A\x00B,g/dL\n"
    client = client_for(clinician)
    answer = post_and_run(client, API, body, django_capture_on_commit_callbacks)
    assert answer.status_code == 202
    status = client.get(answer["Location"]).json()
    assert status["status"] == "done" and status["accepted"] is False
    assert status["rows"] == 12 and status["refused_count"] == 2
    refused = {row["line"]: row["reason"] for row in status["refused"]}
    assert "no patient with MRN" in refused[12] and "NUL" in refused[13]
    at_once = lab_import_csv(body, by=clinician)
    assert [[line, reason] for line, reason in at_once.refused] == [
        [row["line"], row["reason"]] for row in status["refused"]
    ]
    assert LabResult.objects.count() == 0
    page = client.get(f"{PAGE}{LabImport.objects.get().pk}/")
    assert "Nothing imported" in page.content.decode()
    assert 'data-testid="lab-import-refused"' in page.content.decode()


def test_the_page_queues_a_big_import_and_shows_its_progress_until_done(
    clinician, client_for, django_capture_on_commit_callbacks
):
    body = big_file()
    client = client_for(clinician)
    assert "than 5 rows is imported in the background" in client.get(PAGE).content.decode()
    lab_import = lab_import_queue(body, by=clinician, file_name="x.csv", size_bytes=1, rows=10)
    fragment = client.get(f"{PAGE}{lab_import.pk}/progress/").content.decode()
    assert "Waiting to start" in fragment and 'hx-trigger="every 2s"' in fragment
    LabImport.objects.filter(pk=lab_import.pk).update(status=LabImportStatus.RUNNING, rows_done=3)
    fragment = client.get(f"{PAGE}{lab_import.pk}/progress/").content.decode()
    assert "3 of 10 rows stored" in fragment and "hx-get" in fragment
    LabImport.objects.all().delete()

    answer = post_and_run(client, PAGE, body, django_capture_on_commit_callbacks)
    lab_import = LabImport.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"{PAGE}{lab_import.pk}/"
    page = client.get(answer["Location"]).content.decode()
    assert "9 results imported, 1 duplicates ignored (10 rows)" in page
    assert "hx-get" not in page  # polling stops once the import has ended
    assert "x.csv" not in page and "labs.csv" not in page


def test_a_task_run_twice_imports_nothing_twice(clinician):
    lab_import = lab_import_queue(big_file(), by=clinician, file_name="", size_bytes=1, rows=10)
    assert lab_import_task.apply(args=(lab_import.pk,)).get() == "done"
    assert lab_import_task.apply(args=(lab_import.pk,)).get() == "skipped"
    lab_import.refresh_from_db()
    assert (lab_import.imported, lab_import.duplicates) == (9, 1)
    assert LabResult.objects.count() == 9


def test_a_run_after_a_lost_worker_resumes_after_the_committed_batches(clinician, monkeypatch):
    lab_import = lab_import_queue(big_file(), by=clinician, file_name="", size_bytes=1, rows=10)
    real_save = background.import_save
    calls = []

    def lost_in_the_second_batch(rows, *, by, report):
        calls.append(len(rows))
        real_save(rows, by=by, report=report)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker is gone: not a failure the task records

    monkeypatch.setattr(background, "import_save", lost_in_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        lab_import_process(lab_import.pk)
    lab_import.refresh_from_db()
    assert (lab_import.status, lab_import.rows_done, LabResult.objects.count()) == ("running", 3, 3)
    monkeypatch.setattr(background, "import_save", real_save)
    assert lab_import_process(lab_import.pk) == "done"
    lab_import.refresh_from_db()
    assert (lab_import.rows_done, lab_import.imported, lab_import.duplicates) == (10, 9, 1)
    assert LabResult.objects.count() == 9


def test_a_failing_batch_is_rolled_back_whole_and_fails_the_import(clinician, monkeypatch):
    """Each batch is all or nothing: the batches before the failing one stay imported and
    counted, the failing batch leaves nothing, the rest is not tried."""
    body = big_file()
    lab_import = lab_import_queue(body, by=clinician, file_name="", size_bytes=1, rows=10)
    real_save = background.import_save
    calls = []

    def failing_second_batch(rows, *, by, report):
        calls.append(len(rows))
        real_save(rows, by=by, report=report)  # stores the batch's rows, then fails
        if len(calls) == 2:
            raise IntegrityError("boom")

    monkeypatch.setattr(background, "import_save", failing_second_batch)
    assert lab_import_process(lab_import.pk) == "failed"
    lab_import.refresh_from_db()
    assert lab_import.status == "failed" and lab_import.accepted is False
    assert (lab_import.rows_done, lab_import.imported) == (3, 3)
    assert LabResult.objects.count() == 3  # the first batch only
    assert lab_import.error.startswith("Lines 5\u20137 could not be stored")
    assert "3 results imported before them stay" in lab_import.error
    assert "import the same file again" in lab_import.error
    assert lab_import_process(lab_import.pk) == "skipped"  # a failed import is not resumed

    monkeypatch.setattr(background, "import_save", real_save)
    again = lab_import_queue(body, by=clinician, file_name="", size_bytes=1, rows=10)
    assert lab_import_process(again.pk) == "done"
    again.refresh_from_db()
    assert (again.imported, again.duplicates) == (6, 4)
    assert LabResult.objects.count() == 9


def test_the_status_is_for_those_who_import(
    clinician, nurse, pharmacist, client, client_for, django_capture_on_commit_callbacks
):
    answer = post_and_run(
        client_for(clinician), API, big_file(), django_capture_on_commit_callbacks
    )
    url = answer["Location"]
    pk = LabImport.objects.get().pk
    assert client_for(nurse).get(url).status_code == 200
    assert client_for(pharmacist).get(url).status_code == 403
    assert client.get(url).status_code in (401, 403)
    assert client_for(pharmacist).get(f"{PAGE}{pk}/").status_code == 403
    assert client_for(pharmacist).get(f"{PAGE}{pk}/progress/").status_code == 403
    assert client_for(pharmacist).post(API, {"file": upload(big_file())}).status_code == 403
    assert client_for(clinician).get(f"{API}{pk + 1}/").status_code == 404
    assert client_for(clinician).get(f"{PAGE}{pk + 1}/").status_code == 404


def test_reading_the_status_is_logged(clinician, client_for, django_capture_on_commit_callbacks):
    client = client_for(clinician)
    answer = post_and_run(client, API, big_file(), django_capture_on_commit_callbacks)
    pk = LabImport.objects.get().pk
    for url in (answer["Location"], f"{PAGE}{pk}/", f"{PAGE}{pk}/progress/"):
        before = AccessLog.objects.count()
        assert client.get(url).status_code == 200
        log = AccessLog.objects.order_by("-id")[0]
        assert AccessLog.objects.count() == before + 1
        assert (log.subject_type, log.subject_id) == ("orders.labimport", str(pk))


def test_the_status_reads_a_bounded_number_of_queries(clinician, client_for):
    client = client_for(clinician)
    small = lab_import_queue(big_file(), by=clinician, file_name="", size_bytes=1, rows=10)
    body = HEADER + "".join(f"NOBODY-{n},718-7,{today()},12,g/dL\n" for n in range(300))
    large = lab_import_queue(body, by=clinician, file_name="", size_bytes=1, rows=300)
    for lab_import in (small, large):
        lab_import_process(lab_import.pk)

    def queries(pk: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}{pk}/").status_code == 200
        return len(captured)

    assert queries(small.pk) == queries(large.pk) <= 8


def test_the_status_endpoint_is_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "202" in paths[API]["post"]["responses"]
    assert set(paths[API + "{id}/"]["get"]["responses"]) >= {"200"}


def test_a_value_keeps_its_decimals_in_the_background(clinician):
    lab_import = lab_import_queue(big_file(), by=clinician, file_name="", size_bytes=1, rows=10)
    lab_import_process(lab_import.pk)
    assert LabResult.objects.filter(value=Decimal("10.5"), source="imported").exists()


def test_the_threshold_is_500_rows_by_default(
    clinician, client_for, settings, django_capture_on_commit_callbacks
):
    """The default ``LAB_IMPORT_BACKGROUND_ROWS``: 500 rows at once, 501 in the background
    (the same row repeated: one result, the rest duplicates)."""
    assert Environment.model_fields["lab_import_background_rows"].default == 500
    settings.LAB_IMPORT_BACKGROUND_ROWS = 500
    PatientFactory.create(mrn="TH-1")
    row = f"TH-1,718-7,{today()},12,g/dL\n"
    client = client_for(clinician)
    at_once = client.post(API, {"file": upload(HEADER + row * 500)})
    assert at_once.status_code == 201
    assert at_once.json() == {"rows": 500, "imported": 1, "duplicates": 499}
    queued = post_and_run(client, API, HEADER + row * 501, django_capture_on_commit_callbacks)
    assert queued.status_code == 202
    status = client.get(queued["Location"]).json()
    assert (status["status"], status["rows"], status["imported"], status["duplicates"]) == (
        "done",
        501,
        0,
        501,
    )


def test_a_failed_import_says_why_on_its_page(clinician, client_for, monkeypatch):
    lab_import = lab_import_queue(big_file(), by=clinician, file_name="", size_bytes=1, rows=10)

    def failing(rows, *, by, report):
        raise IntegrityError("boom")

    monkeypatch.setattr(background, "import_save", failing)
    assert lab_import_process(lab_import.pk) == "failed"
    page = client_for(clinician).get(f"{PAGE}{lab_import.pk}/").content.decode()
    assert "The import stopped:" in page and "Lines 2\u20134 could not be stored" in page
    assert "hx-get" not in page
    assert LabResult.objects.count() == 0


def queued_import(clinician, *, age: timedelta, **fields) -> LabImport:
    lab_import = lab_import_queue(
        big_file(), by=clinician, file_name="labs.csv", size_bytes=100, rows=10
    )
    LabImport.objects.filter(pk=lab_import.pk).update(created_at=timezone.now() - age, **fields)
    return lab_import


def test_the_sweep_resumes_an_import_a_lost_worker_left(
    clinician, django_capture_on_commit_callbacks
):
    # queued, its task never ran (the on-commit publish is not executed here)
    with django_capture_on_commit_callbacks(execute=False):
        young = queued_import(clinician, age=timedelta(minutes=9))
        lost = queued_import(clinician, age=timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        assert background.lab_imports_resume() == (1, 0)
    lost.refresh_from_db()
    young.refresh_from_db()
    assert lost.status == LabImportStatus.DONE and lost.imported == 9
    assert young.status == LabImportStatus.QUEUED
    assert LabResult.objects.count() == 9


def test_the_sweep_ends_an_import_that_never_finished_saying_how_far_it_got(
    clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        stuck = queued_import(
            clinician,
            age=background.GIVE_UP_AFTER + timedelta(minutes=1),
            status=LabImportStatus.RUNNING,
            rows_done=6,
            imported=6,
        )
        done = queued_import(
            clinician, age=timedelta(hours=3), status=LabImportStatus.DONE, rows_done=10
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert background.lab_imports_resume() == (0, 1)
    stuck.refresh_from_db()
    assert stuck.status == LabImportStatus.FAILED and stuck.finished_at is not None
    assert stuck.error.startswith("The import stopped after 6 of 10 lines")
    assert "6 results were imported" in stuck.error
    assert stuck.text == ""
    done.refresh_from_db()
    assert done.status == LabImportStatus.DONE and done.error == ""
    assert stuck.history.first().history_change_reason == "Lab import stopped"


def test_the_sweep_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["lab-imports-resume"]
    assert entry["task"] == "orders.lab_imports_resume"
    assert entry["schedule"] <= background.RESUME_AFTER
