"""A large lab import processed by a real Celery worker (subprocess, Redis broker) against this
test's PostgreSQL database: the task is registered where the worker looks (``orders.tasks``)."""

import time

import pytest
from django.utils import timezone

from orders.labs.models import LabImport, LabImportStatus, LabResult
from orders.labs.tasks import lab_import_process
from tests.notifications.test_worker import WAIT_SECONDS, worker_queue  # noqa: F401
from tests.orders.factories import PatientFactory


@pytest.mark.celery_worker
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker_queue")
def test_a_real_worker_imports_a_large_file(request, clinician):
    queue, worker = request.getfixturevalue("worker_queue")
    PatientFactory.create(mrn="W-1")
    day = timezone.localdate().isoformat()
    body = "mrn,loinc,taken_on,value,unit\n" + "".join(
        f"W-1,718-7,{day},{10 + n},g/dL\n" for n in range(7)
    )
    lab_import = LabImport.objects.create(created_by=clinician, text=body, rows_total=7)
    lab_import_process.apply_async(args=[lab_import.pk], queue=queue)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        lab_import.refresh_from_db()
        if lab_import.finished:
            break
        if worker.poll() is not None:
            pytest.fail(f"the worker exited: {worker.stdout.read() if worker.stdout else ''}")
        time.sleep(0.25)
    else:
        worker.terminate()
        output = worker.communicate(timeout=15)[0]
        pytest.fail(f"the import did not end after {WAIT_SECONDS} s; worker said:\n{output}")
    assert (lab_import.status, lab_import.rows_done, lab_import.imported) == (
        LabImportStatus.DONE,
        7,
        7,
    )
    assert LabResult.objects.filter(patient__mrn="W-1").count() == 7
