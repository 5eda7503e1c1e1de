"""Demo chairs and a booked cycle (DESIGN 9), through the services by the demo nurse.

Idempotent: chairs by name; a cycle is booked only when no demo order has a session yet. Only
when DEBUG, like the demo users.
"""

from datetime import time

from django.conf import settings

from ivig.accounts.models import User
from orders.models import Order, OrderStatus

from .errors import InfusionError
from .models import Chair, InfusionSession
from .services import Hours, booking_confirm, booking_propose, chair_save

WEEKDAYS = range(5)
DEMO_CHAIRS: tuple[tuple[str, str, bool], ...] = (
    # name, location, also open Saturday morning
    ("Chair 1", "Day unit, window", True),
    ("Chair 2", "Day unit", False),
    ("Chair 3", "Day unit, by the nurses' station", False),
)


def _hours(saturday: bool) -> list[Hours]:
    hours = [Hours(day, time(8), time(18)) for day in WEEKDAYS]
    return [*hours, Hours(5, time(9), time(13))] if saturday else hours


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo chairs skipped: DEBUG is off"]
    nurse = User.objects.filter(username="nurse").first()
    if nurse is None:
        return ["demo chairs skipped: no demo nurse"]
    made = 0
    for name, location, saturday in DEMO_CHAIRS:
        if not Chair.objects.filter(name=name).exists():
            chair_save(None, by=nurse, name=name, location=location, opening_hours=_hours(saturday))
            made += 1
    lines = [f"demo chairs: {Chair.objects.count()} ({made} new)"]
    demo_orders = Order.objects.filter(notes="Demo order.")
    if InfusionSession.objects.filter(order__in=demo_orders).exists():
        return [*lines, "demo booking: already booked"]
    order = demo_orders.filter(status=OrderStatus.VERIFIED).order_by("pk").first()
    if order is None:
        return [*lines, "demo booking: no verified demo order"]
    try:
        sessions = booking_confirm(order, 1, booking_propose(order, 1), nurse)
    except InfusionError as error:
        return [*lines, f"demo booking skipped: {error.message}"]
    return [*lines, f"demo booking: cycle 1 of {order.number}, {len(sessions)} session(s)"]
