"""A nurse follows a large lab import on its page: the progress fragment is polled (htmx) while
the import runs and shows the report once it is done (docs/api.md, large lab imports)."""

from django.utils import timezone
from playwright.sync_api import expect

from orders.labs.background import lab_import_process
from orders.labs.models import LabImport, LabImportStatus, LabResult
from tests.orders.factories import PatientFactory

from .conftest import journey


@journey
def test_a_nurse_follows_a_large_import_until_it_is_done(page, sign_in, nurse):
    PatientFactory.create(mrn="E2E-LAB")
    day = timezone.localdate().isoformat()
    body = "mrn,loinc,taken_on,value,unit\n" + "".join(
        f"E2E-LAB,718-7,{day},{10 + n},g/dL\n" for n in range(6)
    )
    # Made as the queue makes it, without sending the task (here it would run at once).
    lab_import = LabImport.objects.create(
        created_by=nurse, text=body, rows_total=6, rows_done=3, status=LabImportStatus.RUNNING
    )
    sign_in(nurse)
    page.goto(f"/orders/labs/import/{lab_import.pk}/")
    progress = page.get_by_test_id("lab-import-progress")
    expect(progress).to_contain_text("3 of 6 rows stored")

    LabImport.objects.filter(pk=lab_import.pk).update(rows_done=0)
    assert lab_import_process(lab_import.pk) == "done"
    expect(page.get_by_test_id("lab-import-result")).to_have_text(
        "6 results imported, 0 duplicates ignored (6 rows).", timeout=10_000
    )
    expect(progress).to_have_attribute("data-status", "done")
    assert LabResult.objects.count() == 6
