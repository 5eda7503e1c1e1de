"""Booking chairs (docs/clinical-rules.md 3.5, 6): proposing and booking a cycle's sessions,
moving, confirming and cancelling them, and the daily sweep of missed sessions. One transaction
per call, every rule checked here, every change kept in the history with the acting user,
refusals raised as ``InfusionError``. Role checks are the views' business
(docs/clinical-rules.md 1).

Locks are always taken in one order: the order row, then the patient row, then the session row,
then chair rows by id. Holding a chair's lock while checking for overlaps is what keeps two nurses
from booking the same slot (docs/clinical-rules.md 6); on PostgreSQL the exclusion constraint
refuses it again should a path ever forget the lock. Holding the patient's lock while checking
their day is what keeps two orders of one patient off the same day (docs/clinical-rules.md 6.1);
the partial unique constraint on (patient, planned_day) refuses it again in the database.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from infusions.booking.free_slots import FreeSlots
from infusions.booking.models import (
    ACTIVE_STATUSES,
    LIVE_STATUSES,
    NOT_COUNTED_FOR_DAY,
    NOT_STARTED_STATUSES,
    ONE_PER_PATIENT_DAY_CONSTRAINT_NAME,
    STARTED_STATUSES,
    InfusionSession,
    SessionStatus,
)
from infusions.booking.next_cycles import refresh_next_cycle, refresh_next_cycles
from infusions.booking.session_plan import check_step, current_plan, runnable_plan
from infusions.chairs.models import Chair
from infusions.chairs.selectors import within_opening_hours
from infusions.common import CLOCK_SKEW, at, hhmm, local, save_as
from infusions.errors import InfusionError
from infusions.planning import ranking
from infusions.planning.problem import (
    NO_TIMES,
    PatientTimes,
    any_shift,
    minute_of,
    patient_times,
    plan_context,
)
from infusions.reactions.services import booking_overrun, capped_for_patient
from ivig.accounts.models import User
from ivig.templatetags.clinical import count
from orders.course_versions import in_force_on, in_force_until
from orders.dose_plans.plan_accessor import ProposedDay, cycle_first_day
from orders.models import (
    BOOKABLE_STATUSES,
    Order,
    OrderStatus,
    Patient,
    cycle_due_day,
)
from orders.reviews.services import review_due_before_cycle

BOOKABLE_ORDER_STATUSES = BOOKABLE_STATUSES


# Proposals try start times on this grid from each opening time.


# How far past the requested date a proposal looks for a fit.
BOOKING_HORIZON_DAYS = 42


@dataclass(frozen=True)
class Slot:
    """One day of a cycle in a chair; ``end`` is filled in by proposals (confirm recomputes)."""

    day_number: int
    chair: Chair
    start: datetime
    end: datetime | None = None

    @property
    def day(self) -> date:
        return local(self.start).date()


def _lock_order_of(session: InfusionSession) -> None:
    """The row lock of the session's order, taken first (module docstring): the next cycle is
    stored on it."""
    Order.objects.select_for_update().filter(
        pk=InfusionSession.objects.filter(pk=session.pk).values("order_id")[:1]
    ).values_list("pk").first()


def _check_bookable(order: Order, cycle_number: int) -> date | None:
    """Refuse a cycle the version does not book (docs/clinical-rules.md 4, 6, 10.2); returns the
    first day the version no longer governs (None: no end), before which its days must fall."""
    governs, until = in_force_until(order)
    if not governs:
        raise InfusionError(
            InfusionError.ORDER_NOT_BOOKABLE,
            f"Order {order.number} (version {order.revision}) is "
            f"{order.get_status_display().lower()}: only a verified or active version is booked.",
        )
    if not 1 <= cycle_number <= order.cycles:
        raise InfusionError(
            InfusionError.INVALID,
            f"Order {order.number} has cycles 1 to {order.cycles}, not {cycle_number}.",
            field="cycle_number",
        )
    if until is not None and cycle_due_day(order, cycle_number) >= until:  # type: ignore[operator]
        raise InfusionError(
            InfusionError.ORDER_NOT_BOOKABLE,
            f"Cycle {cycle_number} of order {order.number} belongs to version {order.revision}, "
            f"which a newer version replaces from {until:%d %b %Y}: book the newer version's "
            "cycles instead.",
        )
    latest_given = (
        InfusionSession.objects.filter(order=order, status__in=STARTED_STATUSES)
        .order_by("-cycle_number")
        .values_list("cycle_number", flat=True)
        .first()
    )
    if latest_given is not None and cycle_number < latest_given:
        raise InfusionError(
            InfusionError.INVALID,
            f"Cycle {latest_given} of order {order.number} has already been given: cycle "
            f"{cycle_number}, before it, is past and is not booked now.",
            field="cycle_number",
        )
    if due := review_due_before_cycle(order, cycle_number):
        raise InfusionError(InfusionError.REVIEW_DUE, due)
    return until


def _check_before(until: date | None, days: Sequence[date], order: Order) -> None:
    """A superseded version's days fall before its new version's first day (``until``)."""
    if until is not None and any(day >= until for day in days):
        raise InfusionError(
            InfusionError.INVALID,
            f"Version {order.revision} of order {order.number} is replaced from "
            f"{until:%d %b %Y}: its cycle's days must all fall before then.",
            field="slots",
        )


def _busy_by_chair(
    chairs: Sequence[Chair], start: datetime, end: datetime, exclude: int | None = None
) -> dict[int, list[tuple[datetime, datetime]]]:
    """The active sessions of ``chairs`` that overlap ``start`` to ``end``, by chair, in no
    particular order (unordered: the sessions' ordering would join the chairs and sort them)."""
    busy: dict[int, list[tuple[datetime, datetime]]] = {chair.pk: [] for chair in chairs}
    rows = InfusionSession.objects.filter(
        chair__in=chairs,
        status__in=ACTIVE_STATUSES,
        planned_start__lt=end,
        planned_end__gt=start,
    ).order_by()
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    for chair_id, planned_start, planned_end in rows.values_list(
        "chair_id", "planned_start", "planned_end"
    ):
        busy[chair_id].append((planned_start, planned_end))
    return busy


def _overlaps(start: datetime, end: datetime, busy: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in busy)


def _fits(
    chair: Chair,
    days: Sequence[date],
    free: FreeSlots,
    times: PatientTimes = NO_TIMES,
    *,
    first_only: bool = False,
) -> list[time]:
    """The clock times, earliest first, at which ``chair`` is open and free on every one of
    ``days`` (``first_only``: the earliest alone), within the patient's time window."""
    fits = []
    for clock in free.fitting_clocks(chair, days[0]):
        minute = clock.hour * 60 + clock.minute
        if times.earliest_start_min is not None and minute < times.earliest_start_min:
            continue
        if times.latest_end_min is not None and minute + free.minutes > times.latest_end_min:
            continue
        if all(free.free(chair, day, clock) for day in days[1:]):
            fits.append(clock)
            if first_only:
                break
    return fits


@dataclass(frozen=True)
class Proposal:
    """The proposed slots of a cycle and why they were chosen (one short line for people);
    ``over_ratio`` when they break the nurses' ratio (no free slot keeps it), first on
    ``over_ratio_day``; ``session``: the chair minutes and titration of each day."""

    slots: list[Slot]
    why: str
    over_ratio: bool = False
    over_ratio_day: date | None = None
    session: ranking.NewSession | None = None


FIRST_FIT_WHY = "First fit: no nurse is on shift on these days yet, so the earliest free slot."


def _new_session(order: Order, chair_minutes: int, plan: Any) -> ranking.NewSession:
    """The session to book as the planner sees it: in titration from the premedication lead
    until the plan's top rate is reached (the runnable plan's, else the plan at signing's, as
    the planner reads the booked sessions)."""
    signed = order.plan_at_signing if isinstance(order.plan_at_signing, dict) else {}

    def minutes(name: str) -> int:
        value = getattr(plan, name, None)
        if value is None:
            value = signed.get(name)
        return max(int(value), 0) if isinstance(value, int) else 0

    return ranking.NewSession(
        chair_minutes, minutes("premedication_min_before"), minutes("target_rate_reached_min")
    )


def _earlier_cycle(order: Order, first: date) -> tuple[int, int] | None:
    """The chair and start minute of the patient's latest session before ``first`` (not
    cancelled or missed): continuity with their earlier cycles (docs/planner.md)."""
    earlier = (
        InfusionSession.objects.filter(
            patient_id=order.patient_id, planned_start__lt=at(first, time.min)
        )
        .exclude(status__in=NOT_COUNTED_FOR_DAY)
        .order_by("-planned_start")
        .values_list("chair_id", "planned_start")
        .first()
    )
    return None if earlier is None else (earlier[0], minute_of(earlier[1]))


def booking_propose(
    order: Order,
    cycle_number: int,
    requested_date: date | None = None,
    chair: Chair | None = None,
) -> list[Slot]:
    """The slots of ``booking_proposal``."""
    return booking_proposal(order, cycle_number, requested_date, chair).slots


def _chairs_to_try(chair: Chair | None) -> list[Chair]:
    """``chair`` (refused when not in use), else every active chair with its opening hours."""
    chairs = (
        [chair]
        if chair is not None
        else list(Chair.objects.filter(active=True).prefetch_related("opening_hours"))
    )
    if chair is not None and not chair.active:
        raise InfusionError(InfusionError.INVALID, f"{chair.name} is not in use.", field="chair")
    return chairs


def _taken_days(order: Order, first: date, last: date) -> set[date]:
    """docs/clinical-rules.md 6.1: the patient's days already taken (by any order)."""
    return set(
        InfusionSession.objects.filter(
            patient_id=order.patient_id, planned_day__gte=first, planned_day__lt=last
        )
        .exclude(status__in=NOT_COUNTED_FOR_DAY)
        .values_list("planned_day", flat=True)
    )


def _ward(first: date, last: date) -> ranking.Ward | None:
    """The ward, read only when a nurse is on shift within the horizon (first fit otherwise)."""
    return (
        ranking.Ward(plan_context(first, (last - first).days, movable=[]))
        if any_shift(first, last)
        else None
    )


def _cycle_days_to_try(
    first: date, days_per_cycle: int, taken: set[date], until: date | None
) -> Iterable[list[date]]:
    """The cycle's consecutive days from each day of the horizon in turn, skipping those with a
    day taken, until the order's course version stops governing."""
    for offset in range(BOOKING_HORIZON_DAYS + 1):
        days = [first + timedelta(days=offset + index) for index in range(days_per_cycle)]
        if taken.intersection(days):
            continue
        if until is not None and days[-1] >= until:
            break
        yield days


def _candidates(
    chairs: Sequence[Chair],
    days: Sequence[date],
    free: FreeSlots,
    times: PatientTimes,
    *,
    staffed: bool,
) -> list[ranking.Candidate]:
    """Every chair's start times that fit on ``days`` (only the first of each when unstaffed)."""
    return [
        ranking.Candidate(candidate.pk, candidate.name, clock.hour * 60 + clock.minute)
        for candidate in chairs
        for clock in _fits(candidate, days, free, times, first_only=not staffed)
    ]


def _best_candidate(
    ward: ranking.Ward | None,
    staffed: bool,
    days: Sequence[date],
    new_session: ranking.NewSession,
    candidates: list[ranking.Candidate],
    times: PatientTimes,
    earlier: tuple[int, int] | None,
) -> tuple[ranking.Score | None, ranking.Candidate]:
    """The best candidate with its score, ranked with the planner's model when staffed; else
    (score None) the earliest start that day, among equals the first chair by name."""
    if ward is not None and staffed:
        ranked = ranking.rank(ward, days, new_session, candidates, times=times, earlier=earlier)
        return ranked[0]
    return None, min(candidates, key=lambda c: (c.start_min, c.chair_name))


def _why(score: ranking.Score | None, times: PatientTimes, earlier: tuple[int, int] | None) -> str:
    if score is None:
        return FIRST_FIT_WHY
    return ranking.why(score, times=times, earlier=earlier is not None)


def _no_slot(
    chair: Chair | None,
    chairs: Sequence[Chair],
    days_per_cycle: int,
    chair_minutes: int,
    times: PatientTimes,
    first: date,
) -> InfusionError:
    where = chairs[0].name if chair is not None else "No chair"
    window = (
        " within the patient's time window"
        if times.earliest_start_min is not None or (times.latest_end_min is not None)
        else ""
    )
    return InfusionError(
        InfusionError.NO_SLOT,
        f"{where} has {days_per_cycle} consecutive days free for "
        f"{chair_minutes} minutes{window} within {BOOKING_HORIZON_DAYS} days of "
        f"{first:%d %b %Y}.",
    )


def booking_proposal(
    order: Order,
    cycle_number: int,
    requested_date: date | None = None,
    chair: Chair | None = None,
) -> Proposal:
    """docs/clinical-rules.md 6: the same chair and start time on the cycle's consecutive days,
    within the chair's opening hours and free of active sessions, on days the patient has no other
    session (docs/clinical-rules.md 6.1), within the patient's time window if one is stored
    (docs/planner.md). Day 1 is the earliest day on or after ``requested_date`` (default: the
    cycle's first day on the patient's calendar, ``cycle_first_day``: its planned day moved with
    the latest cycle booked before it; or today if that has passed) with a fit. That
    day's chair and time (any active chair when none is given): ranked with the planner's model
    when a nurse is on shift on any of the cycle's days (``infusions.planning.ranking``: a day
    whose every free slot breaks the nurses' ratio is passed over for a later one that keeps
    it); otherwise first fit, the earliest start time (on a 15-minute grid from opening), the
    first chair by name among equals. The length of each session is the engine's chair minutes
    (docs/clinical-rules.md 3.5)."""
    until = _check_bookable(order, cycle_number)
    plan = capped_for_patient(order, runnable_plan(order))  # reaction plans (3.8.3)
    assert plan.cycles is not None and plan.chair_minutes is not None
    days_per_cycle = len(plan.cycles[cycle_number - 1].days)
    today = timezone.localdate()
    first = max(requested_date or cycle_first_day(order, cycle_number), today)
    chairs = _chairs_to_try(chair)
    last = first + timedelta(days=BOOKING_HORIZON_DAYS + days_per_cycle)
    free = FreeSlots(
        _busy_by_chair(chairs, at(first, time.min), at(last, time.min)),
        plan.chair_minutes,
        timezone.now(),
    )
    taken = _taken_days(order, first, last)
    times = patient_times([order.patient_id]).get(order.patient_id, NO_TIMES)
    ward = _ward(first, last)
    new_session = _new_session(order, plan.chair_minutes, plan)
    earlier = _earlier_cycle(order, first)
    length = timedelta(minutes=plan.chair_minutes)
    over_ratio: tuple[list[date], ranking.Score, ranking.Candidate] | None = None
    for days in _cycle_days_to_try(first, days_per_cycle, taken, until):
        staffed = ward is not None and ward.staffed(days)
        candidates = _candidates(chairs, days, free, times, staffed=staffed)
        if not candidates:
            continue
        best_score, best = _best_candidate(
            ward, staffed, days, new_session, candidates, times, earlier
        )
        if best_score is not None and best_score.over_ratio_day is not None:
            over_ratio = over_ratio or (days, best_score, best)
            continue
        why = _why(best_score, times, earlier)
        return _proposal(order, cycle_number, days, chairs, best, length, why, new_session)
    if over_ratio is not None:
        days, best_score, best = over_ratio
        return _proposal(
            order,
            cycle_number,
            days,
            chairs,
            best,
            length,
            ranking.why(best_score),
            new_session,
            over_ratio_day=best_score.over_ratio_day,
        )
    raise _no_slot(chair, chairs, days_per_cycle, plan.chair_minutes, times, first)


def _proposal(
    order: Order,
    cycle_number: int,
    days: Sequence[date],
    chairs: Sequence[Chair],
    best: ranking.Candidate,
    length: timedelta,
    why: str,
    session: ranking.NewSession,
    *,
    over_ratio_day: date | None = None,
) -> Proposal:
    # docs/clinical-rules.md 3.9: the plan is checked with these days on the calendar.
    check_step(
        current_plan(order, proposed=[ProposedDay(cycle_number, day) for day in days]),
        "propose",
    )
    chair = next(c for c in chairs if c.pk == best.chair_id)
    clock = time(best.start_min // 60, best.start_min % 60)
    return Proposal(
        [
            Slot(number, chair, at(day, clock), at(day, clock) + length)
            for number, day in enumerate(days, 1)
        ],
        why,
        over_ratio=over_ratio_day is not None,
        over_ratio_day=over_ratio_day,
        session=session,
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
    if not within_opening_hours(chair, start, end):
        raise InfusionError(
            InfusionError.OUTSIDE_OPENING_HOURS,
            f"{what}: {chair.name} is not open from {hhmm(start)} to {hhmm(end)} on "
            f"{local(start):%A %d %b}.",
            field="start",
        )
    if _overlaps(start, end, _busy_by_chair([chair], start, end, exclude=exclude)[chair.pk]):
        raise InfusionError(
            InfusionError.SLOT_TAKEN,
            f"{what}: {chair.name} already holds a session between {hhmm(start)} and "
            f"{hhmm(end)} on {local(start):%d %b}.",
            field="start",
        )


def _lock_patient(patient_id: int) -> None:
    """The patient's row lock (after the order's, before the session's and the chairs'): held
    while their day is checked and the session saved (docs/clinical-rules.md 6.1)."""
    Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk").first()


def _patient_id_of(session: InfusionSession) -> int:
    return int(
        InfusionSession.objects.filter(pk=session.pk).values_list("patient_id", flat=True).get()
    )


def _check_patient_day(
    patient_id: int, day: date, *, exclude: int | None = None, what: str
) -> None:
    """docs/clinical-rules.md 6.1: refused when the patient already has a session (not cancelled
    or missed) on ``day``, whatever its order or chair. Call it under the patient's lock."""
    others = (
        InfusionSession.objects.filter(patient_id=patient_id, planned_day=day)
        .exclude(status__in=NOT_COUNTED_FOR_DAY)
        .select_related("order", "chair")
    )
    if exclude is not None:
        others = others.exclude(pk=exclude)
    other = others.first()
    if other is not None:
        raise InfusionError(
            InfusionError.PATIENT_DAY_TAKEN,
            f"{what}: the patient already has a session on {day:%d %b %Y} (order "
            f"{other.order.number}, cycle {other.cycle_number} day {other.day_number}, "
            f"{other.chair.name} at {hhmm(other.planned_start)}): one infusion session a day.",
            field="start",
        )


def _save_in_slot(session: InfusionSession, by: User, reason: str) -> None:
    """Save under a savepoint so that a constraint's refusal is a clear error."""
    try:
        with transaction.atomic():
            save_as(session, by, reason)
    except IntegrityError as error:
        text = str(error)
        if ONE_PER_PATIENT_DAY_CONSTRAINT_NAME in text or "planned_day" in text:
            raise InfusionError(
                InfusionError.PATIENT_DAY_TAKEN,
                f"The patient was booked by someone else on {session.planned_day:%d %b %Y}: "
                "one infusion session a day; choose another day.",
                field="start",
            ) from error
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
    """Book a cycle (docs/clinical-rules.md 6): one session per cycle day, on consecutive days, each
    within its chair's opening hours and free (checked under the chairs' locks). Each session lasts
    the engine's chair minutes. The order becomes active on its first booking
    (docs/clinical-rules.md 4). ``tentative`` books without an authorization (docs/clinical-rules.md
    7: such a session cannot start)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    until = _check_bookable(order, cycle_number)
    plan = capped_for_patient(order, runnable_plan(order))  # reaction plans (3.8.3)
    assert plan.cycles is not None and plan.chair_minutes is not None
    days_per_cycle = len(plan.cycles[cycle_number - 1].days)
    if InfusionSession.objects.filter(
        order=order,
        cycle_number=cycle_number,
        status__in=LIVE_STATUSES,
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
            f"Cycle {cycle_number} has {count(days_per_cycle, 'day')}: give one slot for each.",
            field="slots",
        )
    for previous, slot in pairwise(ordered):
        if slot.day != previous.day + timedelta(days=1):
            raise InfusionError(
                InfusionError.INVALID,
                f"Day {slot.day_number} must follow day {previous.day_number} on the next "
                "calendar day (a cycle's days are consecutive).",
                field="slots",
            )
    _check_before(until, [slot.day for slot in ordered], order)
    _lock_patient(order.patient_id)
    chairs = _lock_chairs(slot.chair.pk for slot in ordered)
    length = timedelta(minutes=plan.chair_minutes)
    for slot in ordered:
        _check_patient_day(order.patient_id, slot.day, what=f"Day {slot.day_number}")
        _check_slot(
            chairs[slot.chair.pk], slot.start, slot.start + length, what=f"Day {slot.day_number}"
        )
    # docs/clinical-rules.md 3.9: a stop refuses the booking; an override new since signing
    # allows it only as tentative.
    check_step(
        current_plan(order, proposed=[ProposedDay(cycle_number, slot.day) for slot in ordered]),
        "book_tentative" if tentative else "book",
    )
    sessions = []
    for slot in ordered:
        chair = chairs[slot.chair.pk]
        session = InfusionSession(
            order=order,
            cycle_number=cycle_number,
            day_number=slot.day_number,
            chair=chair,
            planned_start=slot.start,
            planned_end=slot.start + length,
            status=SessionStatus.TENTATIVE if tentative else SessionStatus.BOOKED,
            created_by=by,
        )
        _save_in_slot(session, by, f"Cycle {cycle_number} booked")
        sessions.append(session)
    if order.status == OrderStatus.VERIFIED:
        order.status = OrderStatus.ACTIVE
        order.version += 1
        save_as(order, by, f"Active: cycle {cycle_number} booked")
    refresh_next_cycle(order)
    return sessions


def locked_session(session: InfusionSession, version: int | None) -> InfusionSession:
    """``session`` read again under its row lock, refused when it is not at ``version`` (when
    given: someone changed it since it was read). Its order's lock is taken first, then the
    session's (module docstring); its chair is read, not locked: a chair is locked by id when a
    slot on it is checked, so two moves between two chairs in opposite directions cannot each
    hold the chair the other waits for."""
    _lock_order_of(session)
    current = (
        InfusionSession.objects.select_for_update(of=("self",))
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
    """Move a session that has not started to another chair or time (docs/clinical-rules.md 6), with
    a reason; same length (longer when a reaction plan's cap needs more chair time, 3.8.3),
    within opening hours, free, and not on a day the order already has another session."""
    reason = _reason(reason, "move")
    _lock_order_of(session)
    patient_id = _patient_id_of(session)
    _lock_patient(patient_id)
    current = locked_session(session, version)
    _check_not_started(current, "moved")
    if not in_force_on(current.order, local(start).date()):
        raise InfusionError(
            InfusionError.INVALID,
            f"Version {current.order.revision} of order {current.order.number} does not govern "
            f"{local(start):%d %b %Y}: a newer version replaces it from then (move the session "
            "to an earlier day, or book the newer version's cycle).",
            field="start",
        )
    length = current.planned_end - current.planned_start
    overrun = booking_overrun(current)  # a reaction plan's cap needs more chair time (3.8.3)
    if overrun is not None:
        length = timedelta(minutes=overrun.chair_minutes)
    end = start + length
    same_day = (
        InfusionSession.objects.filter(
            order=current.order,
            status__in=LIVE_STATUSES,
            planned_start__gte=at(local(start).date(), time.min),
            planned_start__lt=at(local(start).date() + timedelta(days=1), time.min),
        )
        .exclude(pk=current.pk)
        .first()
    )
    if same_day is not None:
        raise InfusionError(
            InfusionError.INVALID,
            f"Order {current.order.number} already has day {same_day.day_number} of cycle "
            f"{same_day.cycle_number} on {local(start):%d %b}: one infusion a day.",
            field="start",
        )
    _check_patient_day(patient_id, local(start).date(), exclude=current.pk, what="The new time")
    # docs/clinical-rules.md 3.9: the plan is checked with the session on its new day.
    check_step(
        current_plan(
            current.order,
            proposed=[ProposedDay(current.cycle_number, local(start).date(), current.pk)],
        ),
        "move",
    )
    locked_chair = _lock_chairs([chair.pk])[chair.pk]
    _check_slot(locked_chair, start, end, exclude=current.pk, what="The new time")
    current.chair, current.planned_start, current.planned_end = locked_chair, start, end
    current.status_reason = reason
    current.version += 1
    _save_in_slot(current, by, f"Moved: {reason}")
    refresh_next_cycle(current.order)
    return current


@transaction.atomic
def session_cancel(
    session: InfusionSession, *, by: User, reason: str, version: int | None = None
) -> InfusionSession:
    """Cancel a session that has not started (docs/clinical-rules.md 6), with a reason; the chair is
    freed."""
    reason = _reason(reason, "cancel")
    current = locked_session(session, version)
    _check_not_started(current, "cancelled")
    current.status = SessionStatus.CANCELLED
    current.status_reason = reason
    current.version += 1
    save_as(current, by, f"Cancelled: {reason}")
    refresh_next_cycle(current.order)
    return current


@transaction.atomic
def session_confirm(
    session: InfusionSession, *, by: User, version: int | None = None
) -> InfusionSession:
    """Confirm a tentative session (docs/clinical-rules.md 6, 7): it becomes booked, in the same
    chair and time. Only a tentative session of a verified or active order, not on a day that has
    passed. Confirming does not make the session covered: starting still needs an approval
    (docs/clinical-rules.md 7), as for a session booked outright. Refused when the patient has
    another session that day (docs/clinical-rules.md 6.1)."""
    _lock_order_of(session)
    patient_id = _patient_id_of(session)
    _lock_patient(patient_id)
    current = locked_session(session, version)
    if current.status != SessionStatus.TENTATIVE:
        raise InfusionError(
            InfusionError.NOT_CHANGEABLE,
            f"Only a tentative session is confirmed; this one is "
            f"{current.get_status_display().lower()}.",
        )
    order = current.order
    if not in_force_on(order, current.planned_day):
        raise InfusionError(
            InfusionError.ORDER_NOT_BOOKABLE,
            f"Order {order.number} (version {order.revision}) is "
            f"{order.get_status_display().lower()}: only the sessions of the version in force "
            "on their day are confirmed.",
        )
    if local(current.planned_start).date() < timezone.localdate():
        raise InfusionError(
            InfusionError.INVALID,
            f"The session was planned for {local(current.planned_start):%d %b %Y}, which has "
            "passed: move it first.",
        )
    _check_patient_day(
        patient_id, local(current.planned_start).date(), exclude=current.pk, what="Confirming"
    )
    # docs/clinical-rules.md 3.9: a stop, or an override new since signing, keeps it tentative.
    check_step(current_plan(order), "confirm")
    current.status = SessionStatus.BOOKED
    current.version += 1
    save_as(current, by, "Confirmed")
    return current


@transaction.atomic
def sessions_mark_missed(today: date | None = None, *, by: User | None = None) -> int:
    """docs/clinical-rules.md 6: every tentative or booked session whose planned (local) day is
    before ``today`` and which never started becomes ``missed``; returns how many. Idempotent (a
    missed session is not marked again), a fixed number of queries however many (bulk update with
    history), and locked rows are skipped so that two workers never mark the same session twice
    (the sessions of an order locked by someone else wait for the next sweep: the order's lock
    comes first, module docstring). The chair time of a missed session is free (it no longer
    holds its chair), and the order's next cycle to book is stored again."""
    today = today or timezone.localdate()
    due = InfusionSession.objects.filter(
        status__in=NOT_STARTED_STATUSES, planned_start__lt=at(today, time.min)
    )
    order_ids = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk__in=due.values("order_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    overdue = list(due.select_for_update(skip_locked=True).filter(order_id__in=order_ids))
    for session in overdue:
        session.status = SessionStatus.MISSED
        session.status_reason = f"Not started on {local(session.planned_start):%d %b %Y}."
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
        refresh_next_cycles({session.order_id for session in overdue})
    return len(overdue)


def cancel_future_sessions(order: Order, by: User | None = None, reason: str = "") -> int:
    """Cancel every session of ``order`` that has not started, and those of the earlier versions
    it superseded (the days before its first day they still held) (docs/clinical-rules.md 4:
    discontinuing an order cancels its future sessions); returns how many. The orders app calls it
    inside its own transaction; ``by`` defaults to who discontinued the order, ``reason`` to theirs.
    """
    by = by or order.discontinued_by
    reason = reason or (
        f"Order discontinued: {order.discontinue_reason}"
        if order.discontinue_reason
        else "Order discontinued"
    )
    if by is None:
        raise InfusionError(InfusionError.INVALID, "Say who cancels the sessions.")
    with transaction.atomic():
        return cancel_sessions(
            InfusionSession.objects.select_for_update(of=("self",))
            .filter(
                Q(order_id=order.lineage_id or order.pk)
                | Q(order__lineage_id=order.lineage_id or order.pk),
                order__revision__lte=order.revision,
                status__in=NOT_STARTED_STATUSES,
            )
            .order_by("planned_start"),
            by=by,
            reason=reason,
        )


def cancel_sessions(sessions: Iterable[InfusionSession], *, by: User, reason: str) -> int:
    """Cancel ``sessions`` (locked by the caller, none started), each with ``reason`` in its
    record and history, and store their orders' next cycle again; returns how many."""
    cancelled: list[InfusionSession] = []
    for session in sessions:
        assert session.status in NOT_STARTED_STATUSES
        session.status = SessionStatus.CANCELLED
        session.status_reason = reason
        session.version += 1
        save_as(session, by, f"Cancelled: {reason}")
        cancelled.append(session)
    refresh_next_cycles({session.order_id for session in cancelled})
    return len(cancelled)
