"""Project-wide Celery tasks."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="ivig.tasks.heartbeat")
def heartbeat() -> str:
    """A trivial task proving the worker runs: returns the worker's clock as ISO 8601."""
    return timezone.now().isoformat()
