"""Celery task of the notification inbox: send the e-mail copies (docs/clinical-rules.md 8)."""

from typing import Any

from celery import shared_task

from ivig.tasks import RETRY

from .emails import notification_emails_send


@shared_task(name="notifications.send_notification_emails", **RETRY)
def send_notification_emails(self: Any, notification_ids: list[int]) -> int:
    return notification_emails_send(notification_ids)
