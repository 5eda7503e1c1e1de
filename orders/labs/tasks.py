"""Celery tasks of the laboratory results: take ids, call a service, nothing else (STYLE)."""

from typing import Any

from celery import shared_task

from ivig.tasks import RETRY

from . import background


@shared_task(name=background.TASK_NAME, **RETRY)
def lab_import_process(self: Any, import_id: int) -> str:
    """Process a large lab import in batches (idempotent: a second run imports nothing twice)."""
    return background.lab_import_process(import_id)


@shared_task(name="orders.lab_imports_resume")
def lab_imports_resume() -> str:
    """Send again the imports a lost worker left unfinished; end the ones that never will."""
    resumed, ended = background.lab_imports_resume()
    return f"{resumed} resumed, {ended} ended"
