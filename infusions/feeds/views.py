"""Calendar feeds: the page that makes a user's secret feed address, and the iCalendar feeds of
the unit and of each chair (docs/clinical-rules.md 6)."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from infusions import policies
from infusions.chairs.models import Chair
from infusions.feeds import ical
from infusions.feeds.services import calendar_token_rotate
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import ReadCollector, write_read_log


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


def _ics(name: str, sessions: Any, request: HttpRequest, user: Any) -> HttpResponse:
    sessions = list(sessions)
    body = ical.calendar_bytes(name, sessions, request.get_host().split(":")[0] or "ivig")
    # The feed shows MRNs and initials: logged as the token's user read them.
    shown = ReadCollector()
    shown.add("orders.patient", [session.order.patient_id for session in sessions])
    shown.add("infusions.infusionsession", [session.pk for session in sessions])
    write_read_log(request, shown, user=user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


def feed_unit(request: HttpRequest, token: str) -> HttpResponse:
    """Every chair's sessions; opened by the user's token, not a sign-in (calendar apps)."""
    user = ical.feed_user(token)
    if user is None:
        raise Http404
    return _ics("IVIg infusion unit", ical.feed_sessions(), request, user)


def feed_chair(request: HttpRequest, token: str, chair_pk: int) -> HttpResponse:
    user = ical.feed_user(token)
    if user is None:
        raise Http404
    chair = get_object_or_404(Chair, pk=chair_pk)
    return _ics(f"IVIg {chair.name}", ical.feed_sessions(chair), request, user)


feed_unit.logs_patient_reads = True  # type: ignore[attr-defined]


feed_chair.logs_patient_reads = True  # type: ignore[attr-defined]
