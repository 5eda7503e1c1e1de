"""Booking chairs and recording infusions (DESIGN 3.5, 6): one transaction per call, every rule
checked here, every change kept in the history with the acting user, refusals raised as
``InfusionError``. Role checks are the views' business (DESIGN 1).

Locks are always taken in one order: the order row, then the session row, then chair rows by
id. Holding a chair's lock while checking for overlaps is what keeps two nurses from booking the
same slot (DESIGN 6); on PostgreSQL the exclusion constraint refuses it again should a path ever
forget the lock.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ivig.accounts.models import User
from ivig.engine import DosePlan
from ivig.engine.restart import planned_rate_at
from orders.models import Order, OrderStatus

from .errors import InfusionError
from .models import (
    ACTIVE_STATUSES,
    MAX_RATE_ML_PER_H,
    NOT_STARTED_STATUSES,
    AdministrationEntry,
    CalendarFeedToken,
    Chair,
    ChairOpeningHours,
    EntryKind,
    InfusionSession,
    SessionStatus,
    Severity,
    Symptom,
    token_digest,
)
from .plans import runnable_plan
from .record import IN_INFUSION_KINDS, STATE_KINDS, InfusionState, infusion_state, minutes_between

__all__ = [
    "InfusionError",
    "Slot",
    "administration_record",
    "booking_confirm",
    "booking_propose",
    "calendar_token_rotate",
    "cancel_future_sessions",
    "chair_save",
    "entry_to_correct",
    "session_cancel",
    "session_confirm",
    "session_move",
    "session_start",
    "session_start_blockers",
    "sessions_mark_missed",
]

BOOKABLE_ORDER_STATUSES = (OrderStatus.VERIFIED, OrderStatus.ACTIVE)
# Proposals try start times on this grid from each opening time.
SLOT_GRID_MINUTES = 15
# How far past the requested date a proposal looks for a fit.
BOOKING_HORIZON_DAYS = 42
# Clocks on the ward and the server differ a little; beyond this a time is in the future.
CLOCK_SKEW = timedelta(minutes=1)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def _at(day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def _hhmm(moment: datetime) -> str:
    return f"{_local(moment):%H:%M}"


def _save(instance: Any, by: User, reason: str) -> None:
    instance._history_user = by
    instance._change_reason = reason
    instance.save()


# --- chairs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hours:
    weekday: int
    opens_at: time
    closes_at: time


@transaction.atomic
def chair_save(
    chair: Chair | None,
    *,
    by: User,
    name: str,
    location: str = "",
    active: bool = True,
    opening_hours: Iterable[Hours] | None = None,
) -> Chair:
    """Create or change a chair; ``opening_hours``, when given, replace the chair's hours."""
    name = name.strip()
    if not name:
        raise InfusionError(InfusionError.INVALID, "A chair needs a name.", field="name")
    namesakes = Chair.objects.filter(name=name)
    if chair is not None:
        namesakes = namesakes.exclude(pk=chair.pk)
    if namesakes.exists():
        raise InfusionError(
            InfusionError.INVALID, f"A chair named {name} already exists.", field="name"
        )
    chair = chair or Chair()
    chair.name, chair.location, chair.active = name, location.strip(), active
    _save(chair, by, "Chair saved")
    if opening_hours is not None:
        hours = list(opening_hours)
        for row in hours:
            if not 0 <= row.weekday <= 6 or row.closes_at <= row.opens_at:
                raise InfusionError(
                    InfusionError.INVALID,
                    "Each opening has a weekday (0 Monday to 6 Sunday) and closes after it opens.",
                    field="opening_hours",
                )
        for old in chair.opening_hours.all():
            old._history_user = by  # type: ignore[attr-defined]
            old.delete()
        for row in hours:
            _save(
                ChairOpeningHours(
                    chair=chair, weekday=row.weekday, opens_at=row.opens_at, closes_at=row.closes_at
                ),
                by,
                "Opening hours set",
            )
    return chair


def _opening_windows(chair: Chair, day: date) -> list[tuple[datetime, datetime]]:
    return [
        (_at(day, hours.opens_at), _at(day, hours.closes_at))
        for hours in chair.opening_hours.all()
        if hours.weekday == day.weekday()
    ]


def _within_opening_hours(chair: Chair, start: datetime, end: datetime) -> bool:
    return any(
        opens <= start and end <= closes
        for opens, closes in _opening_windows(chair, _local(start).date())
    )


# --- booking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One day of a cycle in a chair; ``end`` is filled in by proposals (confirm recomputes)."""

    day_number: int
    chair: Chair
    start: datetime
    end: datetime | None = None

    @property
    def day(self) -> date:
        return _local(self.start).date()


def _check_bookable(order: Order, cycle_number: int) -> None:
    if order.status not in BOOKABLE_ORDER_STATUSES:
        raise InfusionError(
            InfusionError.ORDER_NOT_BOOKABLE,
            f"Order {order.number} is {order.get_status_display().lower()}: only verified or "
            "active orders are booked.",
        )
    if not 1 <= cycle_number <= order.cycles:
        raise InfusionError(
            InfusionError.INVALID,
            f"Order {order.number} has cycles 1 to {order.cycles}, not {cycle_number}.",
            field="cycle_number",
        )


def _busy_by_chair(
    chairs: Sequence[Chair], start: datetime, end: datetime, exclude: int | None = None
) -> dict[int, list[tuple[datetime, datetime]]]:
    busy: dict[int, list[tuple[datetime, datetime]]] = {chair.pk: [] for chair in chairs}
    rows = InfusionSession.objects.filter(
        chair__in=chairs,
        status__in=ACTIVE_STATUSES,
        planned_start__lt=end,
        planned_end__gt=start,
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    for chair_id, planned_start, planned_end in rows.values_list(
        "chair_id", "planned_start", "planned_end"
    ):
        busy[chair_id].append((planned_start, planned_end))
    return busy


def _overlaps(start: datetime, end: datetime, busy: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in busy)


def _first_fit(
    chair: Chair,
    days: Sequence[date],
    minutes: int,
    busy: Sequence[tuple[datetime, datetime]],
    not_before: datetime,
) -> time | None:
    """The earliest clock time at which ``chair`` is open and free on every one of ``days``."""
    length = timedelta(minutes=minutes)
    candidates = sorted(
        {
            (opens + timedelta(minutes=step)).time()
            for opens, closes in _opening_windows(chair, days[0])
            for step in range(0, int((closes - opens).total_seconds() // 60), SLOT_GRID_MINUTES)
        }
    )
    for clock in candidates:
        starts = [_at(day, clock) for day in days]
        if all(
            start >= not_before
            and _within_opening_hours(chair, start, start + length)
            and not _overlaps(start, start + length, busy)
            for start in starts
        ):
            return clock
    return None


def booking_propose(
    order: Order,
    cycle_number: int,
    requested_date: date | None = None,
    chair: Chair | None = None,
) -> list[Slot]:
    """DESIGN 6: the same chair and start time on the cycle's consecutive days, within the
    chair's opening hours and free of active sessions. Day 1 is the earliest day on or after
    ``requested_date`` (default: the cycle's first day in the engine's calendar, or today if
    that has passed) with a fit; the earliest start time that day in any active chair (on a
    15-minute grid from opening), the first chair by name among equals, when none is given.
    The length of each session is the engine's chair minutes (DESIGN 3.5)."""
    _check_bookable(order, cycle_number)
    plan = runnable_plan(order)
    assert plan.cycles is not None and plan.chair_minutes is not None
    days_per_cycle = len(plan.cycles[cycle_number - 1].days)
    today = timezone.localdate()
    first = max(requested_date or plan.cycles[cycle_number - 1].days[0], today)
    chairs = (
        [chair]
        if chair is not None
        else list(Chair.objects.filter(active=True).prefetch_related("opening_hours"))
    )
    if chair is not None and not chair.active:
        raise InfusionError(InfusionError.INVALID, f"{chair.name} is not in use.", field="chair")
    last = first + timedelta(days=BOOKING_HORIZON_DAYS + days_per_cycle)
    busy = _busy_by_chair(chairs, _at(first, time.min), _at(last, time.min))
    now = timezone.now()
    length = timedelta(minutes=plan.chair_minutes)
    for offset in range(BOOKING_HORIZON_DAYS + 1):
        days = [first + timedelta(days=offset + index) for index in range(days_per_cycle)]
        fits = [
            (clock, candidate)
            for candidate in chairs
            if (clock := _first_fit(candidate, days, plan.chair_minutes, busy[candidate.pk], now))
        ]
        if fits:
            # The earliest start that day; among equals, the first chair by name.
            clock, best = min(fits, key=lambda fit: fit[0])
            return [
                Slot(number, best, _at(day, clock), _at(day, clock) + length)
                for number, day in enumerate(days, 1)
            ]
    where = chairs[0].name if chair is not None else "No chair"
    raise InfusionError(
        InfusionError.NO_SLOT,
        f"{where} has {days_per_cycle} consecutive days free for "
        f"{plan.chair_minutes} minutes within {BOOKING_HORIZON_DAYS} days of {first:%d %b %Y}.",
    )


def _lock_chairs(chair_ids: Iterable[int]) -> dict[int, Chair]:
    locked = (
        Chair.objects.select_for_update()
        .filter(pk__in=sorted(set(chair_ids)))
        .order_by("pk")
        .prefetch_related("opening_hours")
    )
    return {chair.pk: chair for chair in locked}


def _check_slot(
    chair: Chair, start: datetime, end: datetime, *, exclude: int | None = None, what: str
) -> None:
    if not chair.active:
        raise InfusionError(InfusionError.INVALID, f"{chair.name} is not in use.", field="chair")
    if start < timezone.now() - CLOCK_SKEW:
        raise InfusionError(
            InfusionError.INVALID, f"{what}: {start:%d %b %H:%M} has passed.", field="start"
        )
    if not _within_opening_hours(chair, start, end):
        raise InfusionError(
            InfusionError.OUTSIDE_OPENING_HOURS,
            f"{what}: {chair.name} is not open from {_hhmm(start)} to {_hhmm(end)} on "
            f"{_local(start):%A %d %b}.",
            field="start",
        )
    if _overlaps(start, end, _busy_by_chair([chair], start, end, exclude=exclude)[chair.pk]):
        raise InfusionError(
            InfusionError.SLOT_TAKEN,
            f"{what}: {chair.name} already holds a session between {_hhmm(start)} and "
            f"{_hhmm(end)} on {_local(start):%d %b}.",
            field="start",
        )


def _save_in_slot(session: InfusionSession, by: User, reason: str) -> None:
    """Save under a savepoint so that the exclusion constraint's refusal is a clear error."""
    try:
        with transaction.atomic():
            _save(session, by, reason)
    except IntegrityError as error:
        raise InfusionError(
            InfusionError.SLOT_TAKEN,
            f"{session.chair.name} was booked by someone else at that time: choose another.",
            field="start",
        ) from error


@transaction.atomic
def booking_confirm(
    order: Order,
    cycle_number: int,
    slots: Sequence[Slot],
    by: User,
    *,
    tentative: bool = False,
) -> list[InfusionSession]:
    """Book a cycle (DESIGN 6): one session per cycle day, on consecutive days, each within its
    chair's opening hours and free (checked under the chairs' locks). Each session lasts the
    engine's chair minutes. The order becomes active on its first booking (DESIGN 4).
    ``tentative`` books without an authorization (DESIGN 7: such a session cannot start)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_bookable(order, cycle_number)
    plan = runnable_plan(order)
    assert plan.cycles is not None and plan.chair_minutes is not None
    days_per_cycle = len(plan.cycles[cycle_number - 1].days)
    if InfusionSession.objects.filter(
        order=order,
        cycle_number=cycle_number,
        status__in=[*ACTIVE_STATUSES, SessionStatus.COMPLETED],
    ).exists():
        raise InfusionError(
            InfusionError.CYCLE_BOOKED,
            f"Cycle {cycle_number} of order {order.number} is already booked: move or cancel "
            "its sessions instead.",
        )
    ordered = sorted(slots, key=lambda slot: slot.day_number)
    if [slot.day_number for slot in ordered] != list(range(1, days_per_cycle + 1)):
        raise InfusionError(
            InfusionError.INVALID,
            f"Cycle {cycle_number} has {days_per_cycle} day(s): give one slot for each.",
            field="slots",
        )
    for previous, slot in pairwise(ordered):
        if slot.day != previous.day + timedelta(days=1):
            raise InfusionError(
                InfusionError.INVALID,
                f"Day {slot.day_number} must follow day {previous.day_number} on the next "
                "calendar day (a cycle's days are consecutive, DESIGN 3.6).",
                field="slots",
            )
    chairs = _lock_chairs(slot.chair.pk for slot in ordered)
    length = timedelta(minutes=plan.chair_minutes)
    sessions = []
    for slot in ordered:
        chair = chairs[slot.chair.pk]
        end = slot.start + length
        _check_slot(chair, slot.start, end, what=f"Day {slot.day_number}")
        session = InfusionSession(
            order=order,
            cycle_number=cycle_number,
            day_number=slot.day_number,
            chair=chair,
            planned_start=slot.start,
            planned_end=end,
            status=SessionStatus.TENTATIVE if tentative else SessionStatus.BOOKED,
            created_by=by,
        )
        _save_in_slot(session, by, f"Cycle {cycle_number} booked")
        sessions.append(session)
    if order.status == OrderStatus.VERIFIED:
        order.status = OrderStatus.ACTIVE
        order.version += 1
        _save(order, by, f"Active: cycle {cycle_number} booked")
    return sessions


def _locked_session(session: InfusionSession, version: int | None) -> InfusionSession:
    current = (
        InfusionSession.objects.select_for_update()
        .select_related("order", "chair")
        .get(pk=session.pk)
    )
    if version is not None and version != current.version:
        raise InfusionError(
            InfusionError.STALE_VERSION,
            "Someone changed this session while you were looking at it: reload and try again.",
        )
    return current


def _reason(reason: str, doing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InfusionError(
            InfusionError.INVALID, f"Give a reason to {doing} the session.", field="reason"
        )
    return reason


def _check_not_started(session: InfusionSession, doing: str) -> None:
    if session.status not in NOT_STARTED_STATUSES:
        raise InfusionError(
            InfusionError.NOT_CHANGEABLE,
            f"A {session.get_status_display().lower()} session cannot be {doing}.",
        )


@transaction.atomic
def session_move(
    session: InfusionSession,
    *,
    chair: Chair,
    start: datetime,
    by: User,
    reason: str,
    version: int | None = None,
) -> InfusionSession:
    """Move a session that has not started to another chair or time (DESIGN 6), with a reason;
    same length, within opening hours, free, and not on a day the order already has another
    session."""
    reason = _reason(reason, "move")
    current = _locked_session(session, version)
    _check_not_started(current, "moved")
    end = start + (current.planned_end - current.planned_start)
    same_day = (
        InfusionSession.objects.filter(
            order=current.order,
            status__in=[*ACTIVE_STATUSES, SessionStatus.COMPLETED],
            planned_start__gte=_at(_local(start).date(), time.min),
            planned_start__lt=_at(_local(start).date() + timedelta(days=1), time.min),
        )
        .exclude(pk=current.pk)
        .first()
    )
    if same_day is not None:
        raise InfusionError(
            InfusionError.INVALID,
            f"Order {current.order.number} already has day {same_day.day_number} of cycle "
            f"{same_day.cycle_number} on {_local(start):%d %b}: one infusion a day.",
            field="start",
        )
    locked_chair = _lock_chairs([chair.pk])[chair.pk]
    _check_slot(locked_chair, start, end, exclude=current.pk, what="The new time")
    current.chair, current.planned_start, current.planned_end = locked_chair, start, end
    current.status_reason = reason
    current.version += 1
    _save_in_slot(current, by, f"Moved: {reason}")
    return current


@transaction.atomic
def session_cancel(
    session: InfusionSession, *, by: User, reason: str, version: int | None = None
) -> InfusionSession:
    """Cancel a session that has not started (DESIGN 6), with a reason; the chair is freed."""
    reason = _reason(reason, "cancel")
    current = _locked_session(session, version)
    _check_not_started(current, "cancelled")
    current.status = SessionStatus.CANCELLED
    current.status_reason = reason
    current.version += 1
    _save(current, by, f"Cancelled: {reason}")
    return current


@transaction.atomic
def session_confirm(
    session: InfusionSession, *, by: User, version: int | None = None
) -> InfusionSession:
    """Confirm a tentative session (DESIGN 6, 7): it becomes booked, in the same chair and time.
    Only a tentative session of a verified or active order, not on a day that has passed.
    Confirming does not make the session covered: starting still needs an approval (DESIGN 7),
    as for a session booked outright."""
    current = _locked_session(session, version)
    if current.status != SessionStatus.TENTATIVE:
        raise InfusionError(
            InfusionError.NOT_CHANGEABLE,
            f"Only a tentative session is confirmed; this one is "
            f"{current.get_status_display().lower()}.",
        )
    order = current.order
    if order.status not in BOOKABLE_ORDER_STATUSES:
        raise InfusionError(
            InfusionError.ORDER_NOT_BOOKABLE,
            f"Order {order.number} is {order.get_status_display().lower()}: only a verified or "
            "active order's sessions are confirmed.",
        )
    if _local(current.planned_start).date() < timezone.localdate():
        raise InfusionError(
            InfusionError.INVALID,
            f"The session was planned for {_local(current.planned_start):%d %b %Y}, which has "
            "passed: move it first.",
        )
    current.status = SessionStatus.BOOKED
    current.version += 1
    _save(current, by, "Confirmed")
    return current


@transaction.atomic
def sessions_mark_missed(today: date | None = None, *, by: User | None = None) -> int:
    """DESIGN 6: every tentative or booked session whose planned (local) day is before ``today``
    and which never started becomes ``missed``; returns how many. Idempotent (a missed session
    is not marked again), a fixed number of queries however many (bulk update with history),
    and locked rows are skipped so that two workers never mark the same session twice. The
    chair time of a missed session is free (it no longer holds its chair)."""
    today = today or timezone.localdate()
    overdue = list(
        InfusionSession.objects.select_for_update(skip_locked=True).filter(
            status__in=NOT_STARTED_STATUSES, planned_start__lt=_at(today, time.min)
        )
    )
    for session in overdue:
        session.status = SessionStatus.MISSED
        session.status_reason = f"Not started on {_local(session.planned_start):%d %b %Y}."
        session.version += 1
    if overdue:
        bulk_update_with_history(
            overdue,
            InfusionSession,
            ["status", "status_reason", "version"],
            batch_size=500,
            default_user=by,
            default_change_reason="Missed: not started on its day (daily sweep)",
        )
    return len(overdue)


def cancel_future_sessions(order: Order, by: User | None = None, reason: str = "") -> int:
    """Cancel every session of ``order`` that has not started (DESIGN 4: discontinuing an order
    cancels its future sessions); returns how many. The orders app calls it inside its own
    transaction; ``by`` defaults to who discontinued the order, ``reason`` to theirs."""
    by = by or order.discontinued_by
    reason = reason or (
        f"Order discontinued: {order.discontinue_reason}"
        if order.discontinue_reason
        else "Order discontinued"
    )
    if by is None:
        raise InfusionError(InfusionError.INVALID, "Say who cancels the sessions.")
    with transaction.atomic():
        cancelled = 0
        for session in InfusionSession.objects.select_for_update().filter(
            order=order, status__in=NOT_STARTED_STATUSES
        ):
            session.status = SessionStatus.CANCELLED
            session.status_reason = reason
            session.version += 1
            _save(session, by, f"Cancelled: {reason}")
            cancelled += 1
    return cancelled


# --- the administration record ------------------------------------------------------------------


def session_start_blockers(session: InfusionSession) -> list[str]:
    """Why ``session`` cannot start now, in words for the nurse; empty when it can.

    DESIGN 4: only a verified or active order's sessions run. DESIGN 7: a session needs an
    approved authorization covering it (the authorizations module adds that rule here).
    """
    blockers = []
    if session.status not in NOT_STARTED_STATUSES:
        blockers.append(f"The session is {session.get_status_display().lower()}.")
    if session.order.status not in BOOKABLE_ORDER_STATUSES:
        blockers.append(
            f"Order {session.order.number} is {session.order.get_status_display().lower()}: "
            "only a verified or active order is given."
        )
    # DESIGN 7, 3.8 NO_AUTHORIZATION: booked without approval is fine, started is not.
    from .coverage import session_coverage_blocker

    coverage_blocker = session_coverage_blocker(session)
    if coverage_blocker:
        blockers.append(coverage_blocker)
    return blockers


# Fields each kind may carry (besides occurred_at and correction_of), and those it needs.
KIND_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    EntryKind.PREMEDICATION_GIVEN: (("details",), ()),
    EntryKind.IV_ACCESS: (("details",), ("details",)),
    EntryKind.LOT_RECORDED: (
        ("lot_number", "vial_size_g", "vial_count"),
        ("lot_number", "vial_size_g", "vial_count"),
    ),
    EntryKind.STARTED: (("rate_ml_per_h",), ()),
    EntryKind.RATE_CHANGED: (("rate_ml_per_h",), ("rate_ml_per_h",)),
    EntryKind.VITAL_SIGNS: (
        (
            "bp_systolic_mmhg",
            "bp_diastolic_mmhg",
            "pulse_per_min",
            "temperature_c",
            "respiratory_rate_per_min",
        ),
        ("bp_systolic_mmhg", "bp_diastolic_mmhg", "pulse_per_min"),
    ),
    EntryKind.ADVERSE_EVENT: (("symptoms", "severity", "action"), ("symptoms", "severity")),
    EntryKind.RESTARTED: (("rate_ml_per_h",), ("rate_ml_per_h",)),
    EntryKind.COMPLETED: (("volume_ml", "grams_given", "details"), ("volume_ml", "grams_given")),
    EntryKind.NOTE: (("details",), ("details",)),
}

# Plausible vital signs (a typo guard, not clinical limits): (low, high) inclusive.
VITAL_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "bp_systolic_mmhg": (Decimal(40), Decimal(300)),
    "bp_diastolic_mmhg": (Decimal(20), Decimal(200)),
    "pulse_per_min": (Decimal(20), Decimal(250)),
    "temperature_c": (Decimal(30), Decimal(45)),
    "respiratory_rate_per_min": (Decimal(4), Decimal(80)),
}
FIELD_LABELS = {
    "details": "details",
    "lot_number": "lot number",
    "vial_size_g": "vial size",
    "vial_count": "vial count",
    "rate_ml_per_h": "rate",
    "bp_systolic_mmhg": "systolic blood pressure",
    "bp_diastolic_mmhg": "diastolic blood pressure",
    "pulse_per_min": "pulse",
    "temperature_c": "temperature",
    "respiratory_rate_per_min": "respiratory rate",
    "symptoms": "symptoms",
    "severity": "severity",
    "action": "action",
    "volume_ml": "volume given",
    "grams_given": "grams given",
}
INTEGER_FIELDS = {
    "rate_ml_per_h",
    "vial_count",
    "bp_systolic_mmhg",
    "bp_diastolic_mmhg",
    "pulse_per_min",
    "respiratory_rate_per_min",
}
DECIMAL_FIELDS = {"vial_size_g", "temperature_c", "volume_ml", "grams_given"}


def _invalid(message: str, field: str | None = None) -> InfusionError:
    return InfusionError(InfusionError.INVALID, message, field=field)


def _clean_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    allowed, required = KIND_FIELDS[kind]
    unknown = sorted(name for name, value in data.items() if name not in allowed and value)
    if unknown:
        raise _invalid(
            f"{EntryKind(kind).label} does not record {', '.join(unknown)}.", field=unknown[0]
        )
    cleaned: dict[str, Any] = {}
    for name in allowed:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            if name in required:
                raise _invalid(f"Give the {FIELD_LABELS[name]}.", field=name)
            continue
        try:
            if name in INTEGER_FIELDS:
                if isinstance(value, bool) or Decimal(str(value)) != int(Decimal(str(value))):
                    raise ValueError
                value = int(Decimal(str(value)))
            elif name in DECIMAL_FIELDS:
                value = Decimal(str(value))
                if not value.is_finite():
                    raise ValueError
        except (ValueError, InvalidOperation):
            raise _invalid(f"The {FIELD_LABELS[name]} must be a number.", field=name) from None
        cleaned[name] = value
    for name, (low, high) in VITAL_RANGES.items():
        if name in cleaned and not low <= cleaned[name] <= high:
            raise _invalid(
                f"A {FIELD_LABELS[name]} of {cleaned[name]} is not plausible "
                f"(expected {low} to {high}).",
                field=name,
            )
    if "symptoms" in cleaned:
        symptoms = cleaned["symptoms"]
        if isinstance(symptoms, str) or not all(code in Symptom.values for code in symptoms):
            raise _invalid(
                "Symptoms are chosen from the watch list: " + ", ".join(Symptom.labels) + ".",
                field="symptoms",
            )
        cleaned["symptoms"] = [code for code in Symptom.values if code in symptoms]
    if "severity" in cleaned and cleaned["severity"] not in Severity.values:
        raise _invalid("Severity is mild, moderate or severe.", field="severity")
    if cleaned.get("vial_count", 1) < 1:
        raise _invalid("At least one vial.", field="vial_count")
    for name in ("volume_ml", "grams_given"):
        if cleaned.get(name, 0) < 0:
            raise _invalid(f"The {FIELD_LABELS[name]} cannot be negative.", field=name)
    return cleaned


def _check_rate(rate_ml_per_h: int, cap_ml_per_h: int, why: str) -> None:
    if rate_ml_per_h < 1:
        raise _invalid("A rate is at least 1 mL/h (an adverse event stops the infusion).", "rate")
    if rate_ml_per_h > cap_ml_per_h:
        raise InfusionError(
            InfusionError.RATE_ABOVE_PLAN,
            f"{rate_ml_per_h} mL/h is above {cap_ml_per_h} mL/h, {why}.",
            field="rate_ml_per_h",
        )


def _planned_cap(plan: DosePlan, state: InfusionState, at: datetime) -> tuple[int, str]:
    """The highest rate allowed at ``at`` while running, and why (DESIGN 3.4, 3.5)."""
    assert plan.titration is not None and state.started_at is not None
    elapsed = minutes_between(state.started_at, at)
    planned = planned_rate_at(plan.titration, elapsed)
    cap, why = planned, f"the plan's rate {int(elapsed)} minutes after the start"
    if cap > MAX_RATE_ML_PER_H:
        cap, why = MAX_RATE_ML_PER_H, "the maximum rate"
    if state.restart_rate_ml_per_h is not None and state.rate_ml_per_h < cap:
        cap, why = state.rate_ml_per_h, "the rate now: after a restart it is not increased again"
    return cap, why


def _check_state_rules(
    session: InfusionSession,
    plan: DosePlan,
    state: InfusionState,
    kind: str,
    occurred_at: datetime,
    data: dict[str, Any],
) -> None:
    if kind == EntryKind.STARTED:
        blockers = session_start_blockers(session)
        if blockers:
            raise InfusionError(InfusionError.CANNOT_START, " ".join(blockers))
        if state.started:
            raise InfusionError(InfusionError.INVALID, "The infusion has already started.")
        if _local(occurred_at).date() != _local(session.planned_start).date():
            raise InfusionError(
                InfusionError.CANNOT_START,
                f"This session is planned for {_local(session.planned_start):%d %b %Y}: move it "
                "to today before starting it.",
            )
        assert plan.titration is not None
        first_rate = plan.titration[0].rate_ml_per_h
        data.setdefault("rate_ml_per_h", first_rate)
        _check_rate(data["rate_ml_per_h"], min(first_rate, MAX_RATE_ML_PER_H), "the plan's start")
        return
    if kind not in IN_INFUSION_KINDS:
        return
    if not state.started or state.started_at is None:
        raise InfusionError(InfusionError.NOT_STARTED, "The infusion has not started yet.")
    if state.last_state_at is not None and occurred_at < state.last_state_at:
        raise InfusionError(
            InfusionError.OUT_OF_SEQUENCE,
            f"The last start, rate or stop was recorded at {_hhmm(state.last_state_at)}: this "
            "cannot be earlier.",
            field="occurred_at",
        )
    if kind == EntryKind.RATE_CHANGED:
        if state.stopped:
            raise InfusionError(
                InfusionError.INFUSION_STOPPED,
                "The infusion is stopped after an adverse event: restart it first.",
            )
        cap, why = _planned_cap(plan, state, occurred_at)
        _check_rate(data["rate_ml_per_h"], cap, why)
    elif kind == EntryKind.ADVERSE_EVENT:
        if state.stopped:
            raise InfusionError(
                InfusionError.INFUSION_STOPPED,
                "The infusion is already stopped; record further symptoms as a note.",
            )
    elif kind == EntryKind.RESTARTED:
        if not state.stopped or state.rate_at_stop_ml_per_h is None:
            raise InfusionError(
                InfusionError.INVALID, "Only an infusion stopped by an adverse event restarts."
            )
        _check_rate(
            data["rate_ml_per_h"],
            state.rate_at_stop_ml_per_h,
            "the rate at the stop: a restart is at the same or a lower rate",
        )
    elif kind == EntryKind.COMPLETED:
        assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
        if data["volume_ml"] > plan.daily_volume_ml:
            raise _invalid(
                f"{data['volume_ml']} mL is more than the day's {plan.daily_volume_ml} mL.",
                field="volume_ml",
            )
        if data["grams_given"] > plan.daily_dose_g:
            raise _invalid(
                f"{data['grams_given']} g is more than the day's {plan.daily_dose_g} g.",
                field="grams_given",
            )


def entry_to_correct(session: InfusionSession, entry_id: int | None) -> AdministrationEntry | None:
    """The entry of ``session``'s record with id ``entry_id`` (None for none)."""
    if entry_id is None:
        return None
    entry = AdministrationEntry.objects.filter(session=session, pk=entry_id).first()
    if entry is None:
        raise _invalid(f"Entry #{entry_id} is not in this session's record.", "correction_of")
    return entry


def _check_correction(
    session: InfusionSession, kind: str, correction_of: AdministrationEntry | None
) -> None:
    if correction_of is None:
        return
    if correction_of.session_id != session.pk:
        raise _invalid("A correction corrects an entry of the same session.", "correction_of")
    if kind == EntryKind.NOTE:
        return
    if correction_of.kind in STATE_KINDS:
        raise _invalid(
            "A start, rate, stop, restart or completion happened: correct it with a note.",
            "correction_of",
        )
    if kind != correction_of.kind:
        raise _invalid(
            f"A correction of {correction_of.get_kind_display().lower()} is of the same kind "
            "(or a note).",
            "correction_of",
        )


@transaction.atomic
def administration_record(
    session: InfusionSession,
    *,
    by: User,
    kind: str,
    occurred_at: datetime | None = None,
    correction_of: AdministrationEntry | None = None,
    **data: Any,
) -> AdministrationEntry:
    """Append one entry to the administration record (DESIGN 3.5, 6).

    Rules: not on a completed, cancelled or missed session; not in the future (1 minute of
    clock skew); the start needs the order verified or active (``session_start_blockers``) and
    the session's planned day, at the plan's first rate or lower; a rate change, stop, restart
    or completion needs the infusion started and is not earlier than the last of them; a rate
    never above the plan's rate at that elapsed minute nor 200 mL/h; an adverse event stops the
    infusion (rate 0); a restart at the same or a lower rate than at the stop, after which the
    rate is not increased again; completion ends the session. Corrections are new entries.
    """
    if kind not in EntryKind.values:
        raise _invalid(f"Unknown entry kind {kind!r}.", "kind")
    current = _locked_session(session, None)
    if current.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.MISSED):
        raise InfusionError(
            InfusionError.RECORDING_CLOSED,
            f"The session is {current.get_status_display().lower()}: nothing more is recorded.",
        )
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + CLOCK_SKEW:
        raise InfusionError(
            InfusionError.IN_FUTURE,
            f"{_local(occurred_at):%d %b %H:%M} is in the future.",
            field="occurred_at",
        )
    cleaned = _clean_data(kind, data)
    _check_correction(current, kind, correction_of)
    plan = runnable_plan(current.order)
    state = infusion_state(current.entries.all())
    _check_state_rules(current, plan, state, kind, occurred_at, cleaned)
    if kind == EntryKind.LOT_RECORDED:
        sizes = set(current.order.product.vial_sizes.values_list("size_g", flat=True))
        if cleaned["vial_size_g"] not in sizes:
            raise _invalid(
                f"{current.order.product.brand_name} comes in "
                + ", ".join(f"{size.normalize():f} g" for size in sorted(sizes))
                + " vials.",
                "vial_size_g",
            )
    if kind == EntryKind.PREMEDICATION_GIVEN and not cleaned.get("details"):
        cleaned["details"] = current.order.premedication or "As ordered"
    entry = AdministrationEntry(
        session=current,
        kind=kind,
        occurred_at=occurred_at,
        recorded_by=by,
        correction_of=correction_of,
        **cleaned,
    )
    _save(entry, by, EntryKind(kind).label)
    if kind in (EntryKind.STARTED, EntryKind.COMPLETED):
        current.status = (
            SessionStatus.IN_PROGRESS if kind == EntryKind.STARTED else SessionStatus.COMPLETED
        )
        current.version += 1
        _save(current, by, EntryKind(kind).label)
    return entry


def session_start(
    session: InfusionSession,
    *,
    by: User,
    at: datetime | None = None,
    rate_ml_per_h: int | None = None,
) -> AdministrationEntry:
    """Start the infusion: the ``started`` entry of the record (see ``administration_record``)."""
    return administration_record(
        session,
        by=by,
        kind=EntryKind.STARTED,
        occurred_at=at or timezone.now(),
        rate_ml_per_h=rate_ml_per_h,
    )


# --- calendar feeds ----------------------------------------------------------------------------


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
    _save(feed, user, "Calendar feed token made")
    return token
