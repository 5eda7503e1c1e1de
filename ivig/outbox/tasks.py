"""The beat task sending what the outbox still holds (docs/architecture.md, Background work)."""

from celery import shared_task

from .services import outbox_flush as flush


@shared_task(name="outbox.flush")
def outbox_flush() -> int:
    return flush()
