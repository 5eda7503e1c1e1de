"""iCalendar feeds of the schedule (RFC 5545, the ``icalendar`` package).

Calendar apps cannot sign in, so a feed is opened by its user's secret token (only its digest is
stored). Events carry as little about the patient as a nurse needs to recognise the booking:
initials and MRN, never the name, birth date or diagnosis.
"""

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from infusions.booking.models import InfusionSession, SessionStatus
from infusions.booking.selectors import sessions_for_range
from infusions.chairs.models import Chair
from infusions.feeds.models import CalendarFeedToken, token_digest
from ivig.accounts.models import User
from ivig.accounts.roles import roles_of

FEED_DAYS_BEFORE = 7


FEED_DAYS_AFTER = 120


ICAL_STATUS = {
    SessionStatus.TENTATIVE: "TENTATIVE",
    SessionStatus.BOOKED: "CONFIRMED",
    SessionStatus.IN_PROGRESS: "CONFIRMED",
    SessionStatus.COMPLETED: "CONFIRMED",
    SessionStatus.CANCELLED: "CANCELLED",
    SessionStatus.MISSED: "CANCELLED",
}


def feed_user(token: str) -> User | None:
    """The active user holding a role whose feed ``token`` opens, or None; notes the use."""
    feed = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_sha256=token_digest(token))
        .first()
    )
    if feed is None or not feed.user.is_active or not roles_of(feed.user):
        return None
    CalendarFeedToken.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed.user


def initials(given_name: str, family_name: str) -> str:
    return "".join(
        f"{name.strip()[0].upper()}." for name in (given_name, family_name) if name.strip()
    )


def feed_sessions(chair: Chair | None = None) -> Iterable[InfusionSession]:
    today = timezone.localdate()
    start = timezone.make_aware(
        datetime.combine(today - timedelta(days=FEED_DAYS_BEFORE), time.min)
    )
    return sessions_for_range(
        start, start + timedelta(days=FEED_DAYS_BEFORE + FEED_DAYS_AFTER), chair=chair
    )


def calendar_bytes(name: str, sessions: Iterable[InfusionSession], domain: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//IVIg orders and infusions//Infusion schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for session in sessions:
        patient = session.order.patient
        who = f"{initials(patient.given_name, patient.family_name)} {patient.mrn}"
        event = Event()
        event.add("uid", f"infusion-session-{session.pk}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.planned_start)
        event.add("dtend", session.planned_end)
        event.add(
            "summary", f"IVIg {who} · {session.order.product.brand_name} · {session.chair.name}"
        )
        event.add("location", session.chair.name)
        event.add(
            "description",
            f"Cycle {session.cycle_number}, day {session.day_number}. "
            f"Status: {session.status_label}.",
        )
        event.add("status", ICAL_STATUS[SessionStatus(session.status)])
        event.add("sequence", session.version)
        calendar.add_component(event)
    return calendar.to_ical()
