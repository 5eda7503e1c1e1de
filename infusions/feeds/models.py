"""Calendar feed tokens: a user's secret for their iCalendar feeds (docs/clinical-rules.md 6)."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


def token_digest(token: str) -> str:
    """The stored form of a calendar token: only its SHA-256, so a database copy opens no feed."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedToken(models.Model):
    """A user's secret for their iCalendar feeds (calendar apps cannot sign in). One per user;
    rotating replaces it. Only the digest is stored; the token is shown once, when made."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_token"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Calendar feed token of {self.user}"


class ScheduleChange(models.Model):
    """What the calendar feeds show changed: the feeds' version is the sum of ``weight`` over
    these rows (``selectors.schedule_version``), so it moves when a change commits.

    Rows are written by the database, not by Python: triggers (migration
    ``0017_calendar_feed_snapshots``) add a row in the changing transaction on every insert,
    update or delete of a session, and on every change of a chair's name, a patient's names or
    MRN, a product's brand name or an order's patient or product. A trigger sees every write,
    bulk ones (``bulk_update_with_history``, seeding) included; an insert takes no lock another
    writer waits for; and a row counts only once its transaction commits, whatever the order in
    which transactions took their ids. On PostgreSQL sessions are watched per statement (a bulk
    write of 1,000 sessions adds one row; a statement that changed none adds one too: one
    rebuild more, never one less). ``services.schedule_changes_compact`` folds many rows into
    one of the same total weight."""

    weight = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"Schedule change {self.pk} ({self.weight})"


class FeedSnapshot(models.Model):
    """A feed's body as built for one version of the schedule (docs/clinical-rules.md 6.0,
    calendar feeds): served again, gzipped, to every read until the schedule changes or the
    window moves (a new day). ``shown`` names the patients and sessions it shows for the read
    log. Only each feed's latest snapshot is kept; the record sets stay with the log."""

    scope = models.CharField(max_length=30, help_text='"unit", or "chair-<id>"')
    window_start = models.DateField()
    schedule_version = models.PositiveBigIntegerField()
    domain = models.CharField(max_length=255, help_text="The host the UIDs name.")
    built_at = models.DateTimeField()
    etag = models.CharField(max_length=64)
    body_gzip = models.BinaryField()
    shown = models.ForeignKey(
        "audit.RecordSet", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "window_start", "schedule_version", "domain"],
                name="feed_snapshot_once_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"Feed {self.scope} from {self.window_start}, version {self.schedule_version}"
