"""Celery tasks of the reminders (DESIGN 8): take ids or nothing, call a service, nothing else.

Retried with backoff on any failure; ``acks_late`` so a worker lost mid-task hands the task to
another. Every service they call is idempotent, so a retry or a second worker does no harm.
"""

from typing import Any

from celery import shared_task

RETRY: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="notifications.cycle_reminders", **RETRY)
def cycle_reminders(self: Any) -> dict[str, int]:
    from .reminders import cycle_reminders as sweep

    return sweep()


@shared_task(name="notifications.authorization_follow_ups", **RETRY)
def authorization_follow_ups(self: Any) -> dict[str, int]:
    from .reminders import authorization_follow_ups as sweep

    return sweep()


@shared_task(name="notifications.send_notification_emails", **RETRY)
def send_notification_emails(self: Any, notification_ids: list[int]) -> int:
    from .services import notification_emails_send

    return notification_emails_send(notification_ids)
