"""What the FHIR push to the EHR did (docs/fhir.md, "Out"): one row per resource and event,
so an event announced twice is sent once, and every failure stays visible to the admin."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class PushEvent(models.TextChoices):
    VERIFIED = "verified", "Order version verified"
    DISCONTINUED = "discontinued", "Order discontinued"
    SUPERSEDED = "superseded", "Order version replaced by a newer one"
    COMPLETED = "completed", "Session completed"


class PushStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Failed, will be sent again"
    STOPPED = "stopped", "Failed, not sent again (needs a person)"


class FhirPush(models.Model):
    """One resource sent (or to send) to ``FHIR_PUSH_URL`` for one event."""

    resource_type = models.CharField(max_length=40)
    record_id = models.PositiveBigIntegerField(help_text="The order's or the session's id.")
    event = models.CharField(max_length=20, choices=PushEvent.choices)
    identifier = models.CharField(max_length=200, blank=True, help_text="system|value sent.")
    status = models.CharField(
        max_length=10, choices=PushStatus.choices, default=PushStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "FHIR push"
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "record_id", "event"], name="fhir_push_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PushStatus.values), name="fhir_push_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(event__in=PushEvent.values), name="fhir_push_event_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.record_id} ({self.get_event_display()}): {self.status}"
