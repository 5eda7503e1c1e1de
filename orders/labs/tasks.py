"""Celery tasks of the laboratory results: take ids, call a service, nothing else (STYLE)."""

from typing import Any

from celery import shared_task

from ivig.tasks import RETRY

from . import background


@shared_task(name=background.TASK_NAME, **RETRY)
def lab_import_process(self: Any, import_id: int) -> str:
    """Process a large lab import in batches (idempotent: a second run imports nothing twice)."""
    return background.lab_import_process(import_id)
