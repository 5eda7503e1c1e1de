"""In-app notifications (docs/clinical-rules.md 8): one per recipient, kind, subject and due date.

The unique key (recipient, kind, subject_type, subject_id, due_date) is the idempotency key of
every reminder: running a sweep twice, or on two workers at once, inserts each notification
once, and only a newly inserted one is emailed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# What a notification is about: ``app_label.model`` of the subject row.
SUBJECT_ORDER = "orders.order"
# Stored before authorizations moved out of the orders app; kept so that the idempotency keys of
# notifications already sent still match.
SUBJECT_AUTHORIZATION = "orders.authorization"


class Kind(models.TextChoices):
    CYCLE_NOT_BOOKED = "cycle_not_booked", "Cycle starting soon with sessions not booked"
    REASSESSMENT_DUE = "reassessment_due", "Last cycle completed: reassessment due"
    SESSION_NOT_COVERED = "session_not_covered", "Sessions scheduled without authorization"
    AUTHORIZATION_NO_DECISION = "authorization_no_decision", "Authorization awaiting decision"
    AUTHORIZATION_EXPIRING = "authorization_expiring", "Authorization expiring"
    AUTHORIZATION_CYCLES_LOW = "authorization_cycles_low", "Authorization cycles running out"
    AUTHORIZATION_APPROVED = "authorization_approved", "Authorization approved"
    AUTHORIZATION_DENIED = "authorization_denied", "Authorization denied"
    AUTHORIZATION_EXPIRED = "authorization_expired", "Authorization expired"
    REACTION_PLAN_NEEDED = "reaction_plan_needed", "Infusion reaction waiting for a plan"
    # docs/clinical-rules.md 4: a verified new version cancelled the old version's sessions.
    SESSIONS_REPLACED = "sessions_replaced", "Sessions cancelled: a new order version replaces them"
    RETROSPECTIVE_DUE = "retrospective_due", "Urgent start: retrospective request due"
    LOT_RECALL = "lot_recall", "Lot recall: a patient received the lot"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject_type = models.CharField(max_length=100)
    subject_id = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=40, choices=Kind.choices)
    due_date = models.DateField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The insert that created the row: a sweep finds the rows it inserted itself (and emails
    # only those) after ``bulk_create(ignore_conflicts=True)``, which returns no ids.
    batch = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "due_date"],
                name="notification_once_per_subject_and_due_date",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="notification_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
