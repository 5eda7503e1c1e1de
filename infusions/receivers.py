"""What the infusions app does when an order below it announces a change."""

from typing import Any

from ivig.accounts.models import User
from orders.errors import OrderError
from orders.models import Order

from .booking import cancel_future_sessions, cancel_sessions
from .common import local
from .models import NOT_STARTED_STATUSES, InfusionSession, SessionStatus


def cancel_sessions_of_discontinued_order(
    sender: Any, *, order: Order, by: User, reason: str, **kwargs: Any
) -> None:
    """docs/clinical-rules.md 4: discontinuing an order cancels its future sessions."""
    cancel_future_sessions(order, by=by, reason=reason)


def settle_sessions_of_superseded_order(
    sender: Any, *, order: Order, successor: Order, by: User, **kwargs: Any
) -> None:
    """docs/clinical-rules.md 4: signing a new version of an order under treatment (active)
    supersedes it; its sessions that have not started are cancelled, since the new version's
    cycles replace them, and its given sessions stay as they are, on the version that gave them.

    Refused (the signature with it) while the superseded version is mid-cycle: a session in
    progress, or a cycle with a session given and days still booked. Those days belong to a
    cycle already begun, which the new version does not replace; it is signed once the cycle
    is complete (or those days are cancelled)."""
    sessions = list(
        InfusionSession.objects.select_for_update()
        .filter(order=order, status__in=(*NOT_STARTED_STATUSES, SessionStatus.IN_PROGRESS))
        .order_by("planned_start")
    )
    in_progress = [s for s in sessions if s.status == SessionStatus.IN_PROGRESS]
    begun = set(
        InfusionSession.objects.filter(
            order=order, status__in=(SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)
        ).values_list("cycle_number", flat=True)
    )
    unfinished = [
        s for s in sessions if s.status != SessionStatus.IN_PROGRESS and s.cycle_number in begun
    ]
    if in_progress or unfinished:
        held = in_progress or unfinished
        days = ", ".join(f"{local(s.planned_start):%d %b %Y}" for s in held)
        what = "a session in progress" if in_progress else "days still booked"
        raise OrderError(
            OrderError.WRONG_STATE,
            f"Cycle {held[0].cycle_number} of order {order.number} (version {order.revision}) is "
            f"under way, with {what} ({days}): sign version {successor.revision} once that "
            "cycle is complete, or cancel those days first.",
        )
    cancel_sessions(
        sessions,
        by=by,
        reason=f"Order {order.number} changed: version {successor.revision} replaces version "
        f"{order.revision}",
    )
