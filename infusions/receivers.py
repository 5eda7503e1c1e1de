"""What the infusions app does when an order below it announces a change."""

from collections import defaultdict
from datetime import date
from typing import Any

from django.urls import reverse

from infusions.booking.models import LIVE_STATUSES, NOT_STARTED_STATUSES, InfusionSession
from infusions.booking.next_cycles import refresh_next_cycles
from infusions.booking.services import cancel_future_sessions, cancel_sessions
from infusions.common import hhmm
from infusions.schedule.uncovered_sessions import store_gaps, store_gaps_of_orders
from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role
from ivig.notifications.models import SUBJECT_ORDER, Kind
from ivig.notifications.services import NotificationDraft, notify_many
from orders.errors import OrderError
from orders.models import Order


def cancel_sessions_of_discontinued_order(
    sender: Any, *, order: Order, by: User, reason: str, **kwargs: Any
) -> None:
    """docs/clinical-rules.md 4: discontinuing an order cancels its future sessions (those an
    earlier version still held before this version's first day too)."""
    cancel_future_sessions(order, by=by, reason=reason)


def _day(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def _held_across(sessions: list[InfusionSession], first_day: date) -> list[InfusionSession]:
    """The sessions of the cycles that the new first day would cut: a cycle with days before it
    and days on or after it that would be cancelled, or a session on or after it already
    started (never cancelled)."""
    by_cycle: dict[int, list[InfusionSession]] = defaultdict(list)
    for session in sessions:
        by_cycle[session.cycle_number].append(session)
    held = []
    for rows in by_cycle.values():
        before = [s for s in rows if s.planned_day < first_day]
        after = [s for s in rows if s.planned_day >= first_day]
        started_after = [s for s in after if s.status not in NOT_STARTED_STATUSES]
        if started_after or (before and after):
            held += rows
    return sorted(held, key=lambda s: s.planned_start)


def settle_sessions_of_superseded_order(
    sender: Any, *, order: Order, successor: Order, by: User, **kwargs: Any
) -> None:
    """docs/clinical-rules.md 4: verifying a new version supersedes the version in force; that
    version's sessions not started on or after the new version's first day are cancelled (the
    new version's cycles replace them), each with the reason in its history; the sessions
    before that day stay as they are, on the version that books and gives them. Nothing is
    booked for the new version: the nurses and the clinicians are told what moved (in-app and
    by e-mail), and the new version's cycle 1 is on *Cycles to book*.

    Refused (the verification with it) while a cycle of the old version is booked across that
    day, or a session on or after it has started: cancelling part of a cycle would cut its
    dose. The days are moved or cancelled first, or the new version rejected."""
    first_day = successor.start_date
    sessions = list(
        InfusionSession.objects.select_for_update(of=("self",))  # the chairs read, not locked
        .filter(order=order, status__in=LIVE_STATUSES)
        .select_related("chair")
        .order_by("planned_start")
    )
    held = _held_across(sessions, first_day)
    if held:
        days = ", ".join(f"{_day(s.planned_day)} ({s.get_status_display().lower()})" for s in held)
        raise OrderError(
            OrderError.WRONG_STATE,
            f"Cycle {held[0].cycle_number} of order {order.number} (version {order.revision}) "
            f"is booked across {_day(first_day)}, the first day of version "
            f"{successor.revision}: {days}. Move those days before it or cancel them, then "
            f"verify version {successor.revision} (or reject it).",
        )
    replaced = [
        s for s in sessions if s.status in NOT_STARTED_STATUSES and s.planned_day >= first_day
    ]
    cancel_sessions(
        replaced,
        by=by,
        reason=f"Order {order.number} changed: version {successor.revision}, verified, replaces "
        f"version {order.revision} from {_day(first_day)}",
    )
    refresh_next_cycles([order.pk, successor.pk])
    _tell_what_moved(order, successor, replaced)


def _recipients(order: Order, successor: Order) -> tuple[list[int], list[int]]:
    """The active nurses, and the clinicians who signed either version."""
    nurses = list(
        User.objects.filter(is_active=True, groups__name=GROUP_NAMES[Role.NURSE])
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    signers = {order.signed_by_id, successor.signed_by_id} - {None}
    clinicians = list(
        User.objects.filter(pk__in=signers, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return nurses, clinicians


def _tell_what_moved(order: Order, successor: Order, replaced: list[InfusionSession]) -> None:
    """docs/clinical-rules.md 4: one notice per nurse and clinician (in-app, e-mailed once)
    naming each session cancelled and the new version's first day."""
    first_day = successor.start_date
    count = len(replaced)
    if count:
        title = (
            f"Order {order.number}: version {successor.revision} verified, "
            f"{count} session{'s' if count != 1 else ''} of version {order.revision} cancelled "
            f"({_day(replaced[0].planned_day)} to {_day(replaced[-1].planned_day)})"
        )
        lines = [
            f"Cancelled: cycle {s.cycle_number} day {s.day_number}, {_day(s.planned_day)} "
            f"{hhmm(s.planned_start)}, {s.chair.name}."
            for s in replaced
        ]
    else:
        title = (
            f"Order {order.number}: version {successor.revision} verified, no session of "
            f"version {order.revision} cancelled"
        )
        lines = []
    patient = order.patient
    lines.insert(0, f"{patient.full_name} ({patient.mrn}).")
    lines.append(
        f"Version {successor.revision} starts on {_day(first_day)}: its cycle 1 is to book "
        "(Cycles to book); nothing was booked for it."
    )
    kept = InfusionSession.objects.filter(
        order=order, status__in=NOT_STARTED_STATUSES, planned_day__lt=first_day
    ).count()
    if kept:
        lines.append(
            f"{kept} session{'s' if kept != 1 else ''} of version {order.revision} before that "
            "day stay booked."
        )
    body = "\n".join(lines)
    nurses, clinicians = _recipients(order, successor)
    schedule = f"{reverse('infusions:schedule')}?date={first_day.isoformat()}"
    order_page = reverse("orders:order-detail", args=[successor.pk])
    drafts = [
        NotificationDraft(
            recipient_id=recipient,
            subject_type=SUBJECT_ORDER,
            subject_id=successor.pk,
            kind=Kind.SESSIONS_REPLACED,
            due_date=first_day,
            title=title,
            body=body,
            url=order_page if recipient in clinicians else schedule,
        )
        for recipient in dict.fromkeys([*clinicians, *nurses])
    ]
    notify_many(drafts)


# --- sessions no approval covers (infusions/schedule/uncovered_sessions.py) -----------------


def store_gap_of_saved_session(sender: Any, *, instance: InfusionSession, **_: Any) -> None:
    """A session was booked, moved, confirmed, started, cancelled...: judged again."""
    store_gaps(
        [
            (
                instance.pk,
                instance.order_id,
                instance.planned_start,
                instance.planned_day,
                instance.cycle_number,
                instance.status,
            )
        ]
    )


def store_gaps_of_covered_orders(sender: Any, *, order_ids: list[int], **_: Any) -> None:
    """The stored coverage of these orders changed: their sessions judged again."""
    store_gaps_of_orders(order_ids)
