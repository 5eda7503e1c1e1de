"""Notification services (docs/clinical-rules.md 8): make a notification once per recipient, kind,
subject and due date, email it only when newly made, mark notifications read.

``notify`` makes one (``get_or_create`` under the unique key); ``notify_many`` makes any number
in a fixed number of queries (``bulk_create(ignore_conflicts=True)`` against the same key) for
the reminder sweeps. Both email only the rows their own call inserted, after commit, through
the ``send_notification_emails`` task, so a second run or a second worker emails nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from ivig.accounts.models import User
from ivig.audit.reads import collector_of
from ivig.outbox.services import enqueue_on_commit

from .models import Notification
from .tasks import send_notification_emails

# Rows per INSERT, and ids per email task.
INSERT_BATCH = 1000
EMAIL_BATCH = 200


@dataclass(frozen=True)
class NotificationDraft:
    recipient_id: int
    subject_type: str
    subject_id: int
    kind: str
    due_date: date
    title: str
    body: str = ""
    url: str = ""

    @property
    def key(self) -> tuple[int, str, str, int, date]:
        return (self.recipient_id, self.kind, self.subject_type, self.subject_id, self.due_date)


def subject_type_of(subject: Model) -> str:
    return subject._meta.label_lower


def _enqueue_emails(ids: Sequence[int]) -> None:
    for start in range(0, len(ids), EMAIL_BATCH):
        chunk = list(ids[start : start + EMAIL_BATCH])
        enqueue_on_commit(send_notification_emails, chunk)


@transaction.atomic
def notify(
    *,
    recipient: User,
    subject: Model,
    kind: str,
    due_date: date,
    title: str,
    body: str = "",
    url: str = "",
) -> tuple[Notification, bool]:
    """docs/clinical-rules.md 8: notify ``recipient`` about ``subject`` once per kind and due date.
    Returns the notification and whether this call made it; only a new one is emailed (after
    commit)."""
    key = {
        "recipient": recipient,
        "kind": kind,
        "subject_type": subject_type_of(subject),
        "subject_id": subject.pk,
        "due_date": due_date,
    }
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(
                **key, defaults={"title": title[:200], "body": body, "url": url}
            )
    except IntegrityError:  # another worker inserted it between our read and our insert
        notification, created = Notification.objects.get(**key), False
    if created:
        _enqueue_emails([notification.pk])
    return notification, created


@transaction.atomic
def notify_many(drafts: Iterable[NotificationDraft]) -> int:
    """Insert every draft not already made (one INSERT per ``INSERT_BATCH`` rows, conflicts on
    the unique key ignored), email the ones this call inserted; returns how many it inserted.

    Rows are inserted in key order so that two concurrent sweeps wait for each other rather
    than deadlock.
    """
    unique = {draft.key: draft for draft in drafts}
    if not unique:
        return 0
    batch = uuid.uuid4()
    rows = [
        Notification(
            recipient_id=draft.recipient_id,
            subject_type=draft.subject_type,
            subject_id=draft.subject_id,
            kind=draft.kind,
            due_date=draft.due_date,
            title=draft.title[:200],
            body=draft.body,
            url=draft.url,
            batch=batch,
        )
        for _key, draft in sorted(unique.items(), key=lambda item: item[0])
    ]
    Notification.objects.bulk_create(rows, batch_size=INSERT_BATCH, ignore_conflicts=True)
    inserted = list(
        Notification.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True)
    )
    _enqueue_emails(inserted)
    return len(inserted)


def notification_mark_read(notification: Notification) -> Notification:
    """Mark one notification read (a second call keeps the first reading time)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- selectors ----------------------------------------------------------------------------


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def unread_count(user: User) -> int:
    """One query (the navigation shows it on every page)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def note_subjects_read(request: Any, notifications: Iterable[Notification]) -> None:
    """Log, with the request's one read-log row, what ``notifications`` are about (and the
    notifications themselves): their titles and bodies name patients."""
    collector = collector_of(request)
    if collector is None:
        raise RuntimeError("note_subjects_read needs a view logging its reads.")
    for notification in notifications:
        collector.add(notification.subject_type, [notification.subject_id])
        collector.add("notifications.notification", [notification.pk])
