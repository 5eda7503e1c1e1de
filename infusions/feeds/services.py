"""Calendar feeds (docs/clinical-rules.md 6): making a user's secret feed token, which replaces
the old one (one transaction, kept in the history with the acting user); the feeds' snapshots,
built once per version of the schedule; folding the schedule's change rows."""

import gzip
import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from infusions.chairs.models import Chair
from infusions.common import save_as
from infusions.feeds import ical
from infusions.feeds.models import CalendarFeedToken, FeedSnapshot, ScheduleChange, token_digest
from infusions.feeds.selectors import (
    feed_events,
    feed_window_start,
    schedule_version,
    schedule_version_expression,
)
from ivig.accounts.models import User
from ivig.audit.reads import ReadCollector, record_set_of

# Fast to write (a unit feed is megabytes of text), still about a tenth of the size.
GZIP_LEVEL = 5


@transaction.atomic
def calendar_token_rotate(user: User) -> str:
    """Give ``user`` a new calendar feed token (the old one stops working); returns the token,
    which is shown once: only its digest is kept."""
    token = secrets.token_urlsafe(32)
    feed, _ = CalendarFeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"token_sha256": token_digest(token)}
    )
    feed.token_sha256 = token_digest(token)
    feed.created_at = timezone.now()
    feed.last_used_at = None
    save_as(feed, user, "Calendar feed token made")
    return token


def feed_use_noted(feed: CalendarFeedToken) -> None:
    """The token was used now (shown on the admin's list of tokens)."""
    CalendarFeedToken.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())


# Change rows beyond this many are folded into one (``schedule_changes_compact``), so that
# reading the version stays a sum over a few rows.
COMPACT_AT_ROWS = 1000
COMPACT_BATCH = 500


@transaction.atomic
def schedule_changes_compact() -> None:
    """Fold the committed ``ScheduleChange`` rows into one row of the same total weight: the
    version stays what it was. Only rows this transaction locked are deleted and summed, so a
    change committing meanwhile is neither lost nor counted twice."""
    rows = list(ScheduleChange.objects.select_for_update().values_list("pk", "weight"))
    if len(rows) < 2:
        return
    for first in range(0, len(rows), COMPACT_BATCH):
        batch = [pk for pk, _ in rows[first : first + COMPACT_BATCH]]
        ScheduleChange.objects.filter(pk__in=batch).delete()
    ScheduleChange.objects.create(weight=sum(weight for _, weight in rows))


def feed_scope(chair: Chair | None) -> str:
    return "unit" if chair is None else f"chair-{chair.pk}"


UNIT_FEED_NAME = "IVIg infusion unit"


def feed_snapshot(chair: Chair | None, domain: str) -> FeedSnapshot:
    """The feed of ``chair`` (None: the unit) as the schedule is now: the stored snapshot of
    the current version and window, else one built now (and the feed's older ones deleted).

    The version is read before the sessions: a change committing in between is already in the
    body built, and moves the version, so the next read builds again; a body is never older
    than the version it is stored under."""
    place = {"scope": feed_scope(chair), "window_start": feed_window_start(), "domain": domain}
    # One query when nothing changed: the snapshot stored under the version as it is now.
    snapshot = FeedSnapshot.objects.filter(
        **place, schedule_version=schedule_version_expression()
    ).first()
    if snapshot is not None:
        return snapshot
    version, rows = schedule_version()
    if rows > COMPACT_AT_ROWS:
        schedule_changes_compact()
    return _build(chair, domain, {**place, "schedule_version": version})


def _build(chair: Chair | None, domain: str, key: dict[str, Any]) -> FeedSnapshot:
    # The chair's name as it is now, read after the version like the sessions (a rename moves
    # the version).
    name = (
        UNIT_FEED_NAME
        if chair is None
        else "IVIg " + Chair.objects.values_list("name", flat=True).get(pk=chair.pk)
    )
    events = feed_events(key["window_start"], chair)
    now = timezone.now()
    body = ical.calendar_bytes(name, events, domain, now)
    shown = ReadCollector()
    shown.add("orders.patient", [event.patient_id for event in events])
    shown.add("infusions.infusionsession", [event.session_id for event in events])
    with transaction.atomic():
        record_set = record_set_of(shown)
        try:
            with transaction.atomic():
                snapshot = FeedSnapshot.objects.create(
                    **key,
                    built_at=now,
                    etag=hashlib.sha256(body).hexdigest(),
                    body_gzip=gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
                    shown=record_set,
                )
        except IntegrityError:  # another request built this version first: serve that one
            return FeedSnapshot.objects.get(**key)
        older = Q(schedule_version__lte=key["schedule_version"]) | Q(
            window_start__lt=key["window_start"]
        )
        FeedSnapshot.objects.filter(older, scope=key["scope"]).exclude(pk=snapshot.pk).delete()
    return snapshot
