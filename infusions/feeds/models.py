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
