"""Sending the e-mail copy of notifications (docs/clinical-rules.md 8): run by the Celery task
``send_notification_emails``, never inline in a request."""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


def notification_emails_send(notification_ids: Sequence[int]) -> int:
    """Email each not-yet-emailed notification of ``notification_ids`` to its recipient (those
    without an address are only marked). Rows another worker is emailing are skipped."""
    sent = 0
    with transaction.atomic():
        notifications = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=notification_ids, emailed_at__isnull=True)
            .select_related("recipient")
        )
        if not notifications:
            return 0
        connection = get_connection()
        for notification in notifications:
            address = notification.recipient.email
            if not address:
                continue
            body = notification.body
            if notification.url:
                body = f"{body}\n\n{notification.url}".strip()
            sent += send_mail(
                subject=f"[IVIg] {notification.title}",
                message=body or notification.title,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[address],
                connection=connection,
            )
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
            emailed_at=timezone.now()
        )
    return sent
