"""Calendar feeds: the page that makes a user's secret feed address, and the iCalendar feeds of
the unit and of each chair (docs/clinical-rules.md 6)."""

import gzip
import re

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from infusions import policies
from infusions.chairs.models import Chair
from infusions.feeds.models import CalendarFeedToken
from infusions.feeds.selectors import feed_token
from infusions.feeds.services import calendar_token_rotate, feed_snapshot, feed_use_noted
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import write_record_set_read_log

CALENDAR = "text/calendar; charset=utf-8"
# As Django's GZipMiddleware reads Accept-Encoding. The stored body is served as it is: a feed
# reflects nothing the requester chose (ivig/web/compression.py, BREACH).
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


@policy_required(policies.can_read_schedule)
def calendar_feeds(request: HttpRequest) -> HttpResponse:
    """Make or rotate the user's feed token; the feed addresses are shown once, when made."""
    token = None
    if request.method == "POST":
        token = calendar_token_rotate(signed_in_user(request))
        messages.success(request, "New calendar address made: the previous one no longer works.")
    existing = getattr(request.user, "calendar_feed_token", None)
    chairs = list(Chair.objects.all())
    return render(
        request,
        "infusions/calendar.html",
        {
            "existing": existing,
            "token": token,
            "unit_url": request.build_absolute_uri(reverse("infusions:feed-unit", args=[token]))
            if token
            else None,
            "chair_urls": [
                (
                    chair,
                    request.build_absolute_uri(
                        reverse("infusions:feed-chair", args=[token, chair.pk])
                    ),
                )
                for chair in chairs
            ]
            if token
            else [],
        },
    )


def _ics(request: HttpRequest, feed: CalendarFeedToken, chair: Chair | None) -> HttpResponse:
    """The feed's snapshot for the schedule as it is now (built when it changed): gzipped as
    stored when the app accepts gzip, 304 when the app already holds it (``If-None-Match``).
    Logged as the token's user read it (the snapshot's record set: its patients and
    sessions), a 304 too: the app shows those sessions again. The log row and the token's use
    are written in one transaction (one commit)."""
    snapshot = feed_snapshot(chair, request.get_host().split(":")[0] or "ivig")
    with transaction.atomic():
        feed_use_noted(feed)
        write_record_set_read_log(request, snapshot.shown_id, user=feed.user)
    etag = f'"{snapshot.etag}"'
    response: HttpResponse
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    elif ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(bytes(snapshot.body_gzip), content_type=CALENDAR)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(snapshot.body_gzip), content_type=CALENDAR)
    response["ETag"] = etag
    patch_vary_headers(response, ["Accept-Encoding"])
    response["Cache-Control"] = "private, no-store"
    return response


def feed_unit(request: HttpRequest, token: str) -> HttpResponse:
    """Every chair's sessions; opened by the user's token, not a sign-in (calendar apps)."""
    feed = feed_token(token)
    if feed is None:
        raise Http404
    return _ics(request, feed, None)


def feed_chair(request: HttpRequest, token: str, chair_pk: int) -> HttpResponse:
    feed = feed_token(token)
    if feed is None:
        raise Http404
    chair = get_object_or_404(Chair, pk=chair_pk)
    return _ics(request, feed, chair)


feed_unit.logs_patient_reads = True  # type: ignore[attr-defined]


feed_chair.logs_patient_reads = True  # type: ignore[attr-defined]
