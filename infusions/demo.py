"""Demo chairs and a booked cycle (docs/clinical-rules.md 9), through the services by the demo
nurse.

The chairs are open every day from 07:00 to 21:00, so that a demo works on any day of the week.
The booked demo order (``orders.demo.BOOKED_DEMO_MRN``, first cycle from the seed day) gets its
cycle 1 booked at the first free time from now: today when the day has room for it, so that the
day view is not empty; the nurse's demo order (``NURSE_DEMO_MRN``) is left for the nurse to
book from the schedule's "Cycles to book".

Idempotent: chairs by name; the cycle is booked only when that order has no session yet. Only
when DEBUG, like the demo users.
"""

from datetime import time

from django.conf import settings
from django.utils import timezone

from ivig.accounts.models import User
from orders.demo import BOOKED_DEMO_MRN
from orders.models import Order, OrderStatus

from .booking import booking_confirm, booking_propose
from .chairs import Hours, chair_save
from .errors import InfusionError
from .models import Chair, InfusionSession

EVERY_DAY = range(7)
DEMO_OPENS, DEMO_CLOSES = time(7), time(21)
DEMO_CHAIRS: tuple[tuple[str, str], ...] = (
    ("Chair 1", "Day unit, window"),
    ("Chair 2", "Day unit"),
    ("Chair 3", "Day unit, by the nurses' station"),
)


def demo_hours() -> list[Hours]:
    return [Hours(day, DEMO_OPENS, DEMO_CLOSES) for day in EVERY_DAY]


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo chairs skipped: DEBUG is off"]
    nurse = User.objects.filter(username="nurse").first()
    if nurse is None:
        return ["demo chairs skipped: no demo nurse"]
    made = 0
    for name, location in DEMO_CHAIRS:
        if not Chair.objects.filter(name=name).exists():
            chair_save(None, by=nurse, name=name, location=location, opening_hours=demo_hours())
            made += 1
    lines = [f"demo chairs: {Chair.objects.count()} ({made} new)"]
    order = (
        Order.objects.filter(patient__mrn=BOOKED_DEMO_MRN, notes="Demo order.")
        .order_by("pk")
        .first()
    )
    if order is None:
        return [*lines, "demo booking: no booked demo order"]
    if InfusionSession.objects.filter(order=order).exists():
        return [*lines, "demo booking: already booked"]
    if order.status != OrderStatus.VERIFIED:
        return [*lines, f"demo booking: order {order.number} is not verified"]
    try:
        sessions = booking_confirm(order, 1, booking_propose(order, 1), nurse)
    except InfusionError as error:
        return [*lines, f"demo booking skipped: {error.message}"]
    first = timezone.localtime(sessions[0].planned_start)
    return [
        *lines,
        f"demo booking: cycle 1 of {order.number}, {len(sessions)} session(s) from "
        f"{first:%Y-%m-%d %H:%M}",
    ]
