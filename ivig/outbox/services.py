"""Enqueue a task after commit through the outbox (docs/architecture.md, Background work).

``enqueue_on_commit(task, *args)`` replaces ``transaction.on_commit(lambda: task.delay(*args))``:
it writes an ``OutboxMessage`` inside the caller's transaction (rolled back with it: nothing is
sent for a change that did not happen) and, after the commit, publishes the task and marks the
row sent. When the broker is down the publish fails fast (Celery's short connection timeout and
retry policy in settings), the error is logged and the change's answer is unaffected; the beat
task ``outbox_flush`` sends the row once the broker is back. The tasks are idempotent, so a
row published twice (a crash between publish and mark) does no harm.

With Celery eager (no ``REDIS_URL``) publishing runs the task in-process, and its exceptions
propagate as before, so tests see a task's failure.
"""

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ivig.celery import app as current_app

from .models import OutboxMessage

log = logging.getLogger(__name__)

# Rows younger than this are left to their own on-commit publish by ``outbox_flush``.
FLUSH_GRACE = timedelta(seconds=30)
FLUSH_BATCH = 500
# Sent rows are kept this long (to see what was sent when), then deleted by the flush.
KEEP_SENT = timedelta(days=7)


def _is_eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _publish(message_id: int, task_name: str, args: list[Any]) -> bool:
    """Send one row's task; True when the broker took it (the row is then marked sent)."""
    if _is_eager():
        current_app.tasks[task_name].apply(args=tuple(args), throw=True)
    else:
        try:
            current_app.send_task(task_name, args=args, ignore_result=True)
        except Exception as error:  # the broker is down: the row waits for outbox_flush
            log.warning("outbox: %s(%s) not published: %s", task_name, message_id, error)
            OutboxMessage.objects.filter(pk=message_id).update(
                attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
            )
            return False
    OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    return True


def enqueue_on_commit(task: Any, *args: Any) -> OutboxMessage:
    """Record ``task(*args)`` in the outbox now; publish it after the transaction commits."""
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task_name=name, args=list(args))
    transaction.on_commit(lambda: _publish(message.pk, name, message.args))
    return message


def outbox_pending() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()


def outbox_flush(*, grace: timedelta = FLUSH_GRACE) -> int:
    """Publish the rows not yet sent (oldest first), skipping rows another flush holds and the
    youngest, whose own on-commit publish is probably under way; returns how many were sent.
    Stops at the first failure: the broker is still down. Rows sent over ``KEEP_SENT`` ago
    are deleted."""
    sent = 0
    now = timezone.now()
    OutboxMessage.objects.filter(sent_at__lt=now - KEEP_SENT).delete()
    cutoff = now - grace
    while True:
        with transaction.atomic():
            rows = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, created_at__lte=cutoff)
                .order_by("id")[:FLUSH_BATCH]
            )
            for row in rows:
                if not _publish(row.pk, row.task_name, row.args):
                    return sent
                sent += 1
        if len(rows) < FLUSH_BATCH:
            return sent
