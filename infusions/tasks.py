"""Celery tasks of the infusions app: call a service, nothing else (STYLE)."""

from typing import Any

from celery import shared_task

from infusions.booking import services as booking
from ivig.tasks import RETRY


@shared_task(name="infusions.sessions_mark_missed", **RETRY)
def sessions_mark_missed(self: Any) -> int:
    """docs/clinical-rules.md 6: yesterday's (and older) sessions that never started become missed
    (daily)."""
    return booking.sessions_mark_missed()
