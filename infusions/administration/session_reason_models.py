"""Session reasons (docs/clinical-rules.md 3.8.2, 3.9): a clinician's reason to go ahead with a
session-only override finding (CREATININE_DUE) on one session. It answers that finding on that
session's plan only; the next session is judged again."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

# A reason is a sentence or two for the record, not a note: longer text is refused.
SESSION_REASON_MAX_CHARS = 1000


class SessionOverride(models.Model):
    """A clinician's reason for going ahead with finding ``code`` on ``session`` on its day
    (``session_day``), with the finding's message as the clinician read it. One per session,
    code and day; never edited (history kept)."""

    session = models.ForeignKey(
        "infusions.InfusionSession", on_delete=models.PROTECT, related_name="overrides"
    )
    code = models.CharField(max_length=50)
    session_day = models.DateField(
        help_text="The session's day when the reason was given: moved to another day, the "
        "session is judged again."
    )
    message = models.TextField(help_text="The finding as the clinician read it.")
    reason = models.TextField(max_length=SESSION_REASON_MAX_CHARS)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["given_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "code", "session_day"], name="session_override_code_unique"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="session_override_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on session #{self.session_id}: {self.reason}"
