"""The task outbox (docs/architecture.md, Background work): every task a change enqueues is
first a row, written in the change's own transaction, so a broker that is down or a process that
dies between the commit and the publish loses nothing. ``sent_at`` is set once the broker has
the message; ``outbox_flush`` sends the rows left behind."""

from django.db import models


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], name="outbox_pending_idx", condition=models.Q(sent_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else "pending"
        return f"{self.task_name}{tuple(self.args)} ({state})"
