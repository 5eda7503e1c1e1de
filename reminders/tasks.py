"""Celery tasks of the daily sweeps (docs/clinical-rules.md 8): call a sweep, nothing else.

The task names keep the ``notifications.`` prefix they were scheduled under before the sweeps
moved to this app, so that tasks already queued still find their code.
"""

from typing import Any

from celery import shared_task

from ivig.tasks import RETRY

from .sweeps import authorization_follow_ups as authorization_follow_ups_sweep
from .sweeps import cycle_reminders as cycle_reminders_sweep


@shared_task(name="notifications.cycle_reminders", **RETRY)
def cycle_reminders(self: Any) -> dict[str, int]:
    return cycle_reminders_sweep()


@shared_task(name="notifications.authorization_follow_ups", **RETRY)
def authorization_follow_ups(self: Any) -> dict[str, int]:
    return authorization_follow_ups_sweep()
