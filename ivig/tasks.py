"""Project-wide Celery tasks and the retry policy every task of the project uses."""

from typing import Any

from celery import shared_task
from django.utils import timezone

# Retried with backoff on any failure; ``acks_late`` so a worker lost mid-task hands the task to
# another. Every service a task calls is idempotent, so a retry or a second worker does no harm.
RETRY: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="ivig.tasks.heartbeat")
def heartbeat() -> str:
    """A trivial task proving the worker runs: returns the worker's clock as ISO 8601."""
    return timezone.now().isoformat()
