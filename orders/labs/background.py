"""Large laboratory imports, run by a Celery task with progress (docs/api.md, lab import;
docs/clinical-rules.md 3.8.2).

An export with more rows than ``settings.LAB_IMPORT_BACKGROUND_ROWS`` is stored as a
``LabImport`` (queued) and processed by the task ``orders.lab_import_process`` (sent through
the outbox after the commit); a smaller one is imported at once, as before. The result is the
same either way:

- every row is checked first (the same checks, limits and time budget); when any row is
  refused, nothing is imported and the import ends ``done`` with the refused-row report;
- otherwise the rows are stored in batches of ``IMPORT_BATCH_ROWS``. **Each batch is all or
  nothing**: its results and the import's counts (``rows_done``, ``imported``,
  ``duplicates``) are committed in one transaction, under a lock on the import's row. A
  batch that fails is rolled back whole and the import ends ``failed`` with a message naming
  its lines; the batches before it stay imported, and the counts say exactly how many. The
  same file imported again completes it: the stored rows are then duplicates and skipped.

Idempotent: a task run twice (a duplicate publish, a worker lost and the task handed to
another) does not import twice. A finished import is left alone; a running one resumes after
the last committed batch, read under the lock, so two runs at once take turns batch by batch.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ivig.accounts.models import User
from ivig.outbox.services import enqueue_on_commit

from .models import LabImport, LabImportStatus
from .services import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    CheckedRow,
    ImportReport,
    check_import_size,
    decode_import,
    import_check,
    import_row_count,
    import_save,
    lab_import_csv,
)

log = logging.getLogger(__name__)

# Results stored per transaction (each batch all or nothing; progress moves batch by batch).
IMPORT_BATCH_ROWS = 500
TASK_NAME = "orders.lab_import_process"
# An import not finished this long after it was queued was left by a lost worker or a lost
# publish: the sweep sends its task again (it resumes after the committed batches)...
RESUME_AFTER = timedelta(minutes=10)
# ...and one still not finished this long after is ended as failed, saying where it stopped.
GIVE_UP_AFTER = timedelta(hours=2)
SWEEP_BATCH = 100


def runs_in_background(rows: int) -> bool:
    return rows > settings.LAB_IMPORT_BACKGROUND_ROWS


def _save(lab_import: LabImport, by: User, reason: str) -> None:
    lab_import._history_user = by  # type: ignore[attr-defined]
    lab_import._change_reason = reason  # type: ignore[attr-defined]
    lab_import.save()


@transaction.atomic
def lab_import_queue(
    text: str, *, by: User, file_name: str, size_bytes: int, rows: int
) -> LabImport:
    """Store an export for the background import and send the task after the commit."""
    lab_import = LabImport(
        created_by=by,
        file_name=file_name[:200],
        size_bytes=size_bytes,
        # PostgreSQL text holds no NUL; the import reads a NUL as U+FFFD (a refused row) anyway.
        text=text.replace("\x00", "\ufffd"),
        rows_total=min(rows, IMPORT_MAX_ROWS),
    )
    _save(lab_import, by, "Lab import queued")
    # By name: the task module (registered at start-up, ``OrdersConfig.ready``) imports this one.
    enqueue_on_commit(TASK_NAME, lab_import.pk)
    return lab_import


def lab_import_upload(upload: UploadedFile, *, by: User) -> LabImport | ImportReport:
    """An uploaded lab export, as the page and the API take it: size and encoding checked, then
    queued for the background (its ``LabImport``) when it has more rows than
    ``LAB_IMPORT_BACKGROUND_ROWS``, else imported at once (its ``ImportReport``)."""
    check_import_size(upload.size or 0)
    text = decode_import(upload.read(IMPORT_MAX_BYTES + 1))
    rows = import_row_count(text)
    if not runs_in_background(rows):
        return lab_import_csv(text, by=by)
    return lab_import_queue(
        text, by=by, file_name=upload.name or "", size_bytes=upload.size or 0, rows=rows
    )


def _locked(import_id: int) -> LabImport | None:
    return LabImport.objects.select_for_update().filter(pk=import_id).first()


def _finish(import_id: int, *, reason: str, **fields: object) -> str:
    """End the import (done or failed) under the lock, unless it has ended already."""
    with transaction.atomic():
        lab_import = _locked(import_id)
        if lab_import is None or lab_import.finished:
            return "" if lab_import is None else lab_import.status
        for name, value in fields.items():
            setattr(lab_import, name, value)
        lab_import.text = ""
        lab_import.finished_at = timezone.now()
        _save(lab_import, lab_import.created_by, reason)
        return lab_import.status


def _claim(import_id: int) -> LabImport | None:
    """The import, marked running, or None when it is gone or has ended (a second run)."""
    with transaction.atomic():
        lab_import = _locked(import_id)
        if lab_import is None or lab_import.finished:
            return None
        if lab_import.status == LabImportStatus.QUEUED:
            lab_import.status = LabImportStatus.RUNNING
            _save(lab_import, lab_import.created_by, "Lab import started")
        return lab_import


def _fail_message(lines: tuple[int, int], error: Exception, imported: int) -> str:
    return (
        f"Lines {lines[0]}\u2013{lines[1]} could not be stored ({type(error).__name__}); "
        f"nothing of them was kept. {imported} results imported before them stay; import the "
        "same file again to finish (those are then skipped as duplicates)."
    )[:500]


def lab_import_process(import_id: int) -> str:
    """Process a queued import (module docstring); returns its status at the end."""
    lab_import = _claim(import_id)
    if lab_import is None:
        return "skipped"
    report = ImportReport()
    try:
        rows = import_check(lab_import.text, report)
    except Exception as error:  # the file was checked at upload: only a fault gets here
        log.exception("lab import %s: the check failed", import_id)
        return _finish(
            import_id,
            reason="Lab import failed",
            status=LabImportStatus.FAILED,
            error=f"The file could not be checked ({type(error).__name__}); nothing imported.",
        )
    if report.refused:
        return _finish(
            import_id,
            reason="Lab import refused",
            status=LabImportStatus.DONE,
            rows_total=report.rows,
            rows_done=report.rows,
            refused_count=report.refused_count,
            refused=[list(item) for item in report.refused],
        )
    while True:
        batch: list[CheckedRow] = []
        try:
            with transaction.atomic():
                locked = _locked(import_id)
                if locked is None or locked.status != LabImportStatus.RUNNING:
                    return "skipped"
                start = locked.rows_done  # committed batches: another run may have moved it
                batch = rows[start : start + IMPORT_BATCH_ROWS]
                if not batch:
                    break
                counts = ImportReport()
                import_save(batch, by=locked.created_by, report=counts)
                locked.rows_total = len(rows)
                locked.rows_done = start + len(batch)
                locked.imported += counts.imported
                locked.duplicates += counts.duplicates
                _save(locked, locked.created_by, "Lab import batch stored")
        except Exception as error:
            log.exception("lab import %s: a batch failed", import_id)
            imported = LabImport.objects.filter(pk=import_id).values_list("imported", flat=True)
            lines = (batch[0].line, batch[-1].line) if batch else (0, 0)
            return _finish(
                import_id,
                reason="Lab import failed",
                status=LabImportStatus.FAILED,
                error=_fail_message(lines, error, next(iter(imported), 0)),
            )
    return _finish(
        import_id,
        reason="Lab import done",
        status=LabImportStatus.DONE,
        rows_total=len(rows),
        rows_done=len(rows),
    )


def _stopped_message(rows_done: int, rows_total: int, imported: int) -> str:
    return (
        f"The import stopped after {rows_done} of {rows_total} lines and did not resume; "
        f"{imported} results were imported and stay. Import the same file again to finish "
        "(those are then skipped as duplicates)."
    )[:500]


def lab_imports_resume(now: datetime | None = None) -> tuple[int, int]:
    """The sweep for imports a lost worker or a lost publish left unfinished (beat, every few
    minutes): older than ``RESUME_AFTER``, the task is sent again (idempotent: it resumes after
    the committed batches); older than ``GIVE_UP_AFTER``, the import ends failed, saying how far
    it got, so nobody waits on a "running" import forever. Returns (resumed, ended)."""
    now = now or timezone.now()
    unfinished = LabImport.objects.filter(
        status__in=(LabImportStatus.QUEUED, LabImportStatus.RUNNING),
        created_at__lte=now - RESUME_AFTER,
    ).order_by("created_at", "pk")
    rows = unfinished.values_list("pk", "created_at", "rows_done", "rows_total", "imported")
    resumed = ended = 0
    for import_id, created_at, rows_done, rows_total, imported in rows[:SWEEP_BATCH]:
        if created_at > now - GIVE_UP_AFTER:
            enqueue_on_commit(TASK_NAME, import_id)
            resumed += 1
        else:
            error = _stopped_message(rows_done, rows_total, imported)
            _finish(
                import_id, reason="Lab import stopped", status=LabImportStatus.FAILED, error=error
            )
            ended += 1
    return resumed, ended
