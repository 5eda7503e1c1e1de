"""Reading the schedule and the administration record (STYLE: selectors)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from authorizations.coverage import (
    Approval,
    CycleCoverage,
    cover_cycles,
    coverage_blocker,
    lineage_root_id,
    planned_cycles,
)
from authorizations.selectors import recent_approvals, start_of_day
from ivig.engine.restart import restart_plan
from orders.models import Order, OrderStatus

from .models import (
    ACTIVE_STATUSES,
    AdministrationEntry,
    Chair,
    InfusionSession,
    SessionStatus,
    Symptom,
)
from .plans import runnable_plan
from .record import InfusionState, infusion_state


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sessions_for_range(
    start: datetime,
    end: datetime,
    *,
    chair: Chair | None = None,
    statuses: list[str] | None = None,
    patient_id: int | None = None,
) -> QuerySet[InfusionSession]:
    """Sessions starting in [start, end), with order, patient, product and chair in the same
    query (a constant number of queries however many sessions)."""
    sessions = InfusionSession.objects.filter(
        planned_start__gte=start, planned_start__lt=end
    ).select_related("order__patient", "order__product", "chair")
    if chair is not None:
        sessions = sessions.filter(chair=chair)
    if statuses:
        sessions = sessions.filter(status__in=statuses)
    if patient_id is not None:
        sessions = sessions.filter(order__patient_id=patient_id)
    return sessions.order_by("planned_start", "chair__name", "pk")


def sessions_for_day(day: date, chair: Chair | None = None) -> QuerySet[InfusionSession]:
    """The sessions of one local day (the nurses' day view)."""
    return sessions_for_range(_midnight(day), _midnight(day + timedelta(days=1)), chair=chair)


def chairs_with_hours() -> QuerySet[Chair]:
    return Chair.objects.filter(active=True).prefetch_related("opening_hours")


@dataclass(frozen=True)
class OrderToBook:
    order: Order
    next_cycle: int
    cycle_first_day: date | None


def orders_to_book() -> list[OrderToBook]:
    """Verified and active orders with a cycle that has no live session yet: three queries."""
    live = InfusionSession.objects.filter(status__in=[*ACTIVE_STATUSES, SessionStatus.COMPLETED])
    orders = (
        Order.objects.filter(status__in=[OrderStatus.VERIFIED, OrderStatus.ACTIVE])
        .select_related("patient", "product")
        .prefetch_related(Prefetch("sessions", queryset=live, to_attr="live_sessions"))
        .order_by("start_date", "pk")
    )
    waiting = []
    for order in orders:
        booked = {session.cycle_number for session in order.live_sessions}  # type: ignore[attr-defined]
        free = [number for number in range(1, order.cycles + 1) if number not in booked]
        if free:
            first_day = order.start_date + timedelta(days=(free[0] - 1) * order.cycle_interval_days)
            waiting.append(OrderToBook(order, free[0], first_day))
    return waiting


# --- the plan at clock times ------------------------------------------------------------------


@dataclass(frozen=True)
class ClockStep:
    at: datetime
    rate_ml_per_h: int
    minutes: Decimal
    volume_ml: Decimal


@dataclass(frozen=True)
class RestartInfo:
    at: datetime
    rate_ml_per_h: int
    volume_given_ml: Decimal
    remaining_volume_ml: Decimal


@dataclass(frozen=True)
class SessionPlan:
    """The plan at clock times (DESIGN 3.5): from the actual start once the infusion started,
    recomputed from the last restart when there was one."""

    premedication_at: datetime
    infusion_start: datetime
    steps: list[ClockStep]
    vital_checks: list[datetime]
    infusion_end: datetime
    chair_until: datetime
    daily_volume_ml: int
    daily_dose_g: Decimal
    restart: RestartInfo | None
    watch_list: list[str]
    state: InfusionState
    first_rate_ml_per_h: int


def session_plan_at_clock_times(
    session: InfusionSession, entries: list[AdministrationEntry] | None = None
) -> SessionPlan:
    """Premedication time, each titration step's clock time and rate, each vital check's clock
    time, the end and the watch list. Before the start the clock is the booking (premedication
    at the planned start, the infusion after the engine's premedication lead); after it, the
    start entry's time; after a restart, the engine's restart plan from then."""
    plan = runnable_plan(session.order)
    assert plan.titration is not None and plan.premedication_min_before is not None
    assert plan.infusion_minutes is not None and plan.vital_checks_min is not None
    assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
    assert plan.chair_minutes is not None
    state = infusion_state(entries if entries is not None else session.entries.all())
    lead = timedelta(minutes=plan.premedication_min_before)
    start = state.started_at or session.planned_start + lead
    observation = timedelta(
        minutes=plan.chair_minutes - plan.premedication_min_before - plan.infusion_minutes
    )

    def at(minute: int | Decimal, since: datetime = start) -> datetime:
        return since + timedelta(minutes=float(minute))

    steps = [
        ClockStep(at(step.start_min), step.rate_ml_per_h, step.minutes, step.volume_ml)
        for step in plan.titration
    ]
    checks = [at(minute) for minute in plan.vital_checks_min]
    end = at(plan.infusion_minutes)
    restart = None
    if state.restarted_at is not None and state.restart_rate_ml_per_h is not None:
        given = state.volume_given_ml(state.restarted_at)
        rest = restart_plan(
            rate_ml_per_h=state.restart_rate_ml_per_h,
            daily_volume_ml=plan.daily_volume_ml,
            volume_given_ml=given,
        )
        restart = RestartInfo(
            state.restarted_at, rest.rate_ml_per_h, given, rest.remaining_volume_ml
        )
        stopped_at = state.stopped_at or state.restarted_at
        before = [step for step in steps if step.at < stopped_at]
        steps = [
            *before,
            ClockStep(
                state.restarted_at,
                rest.rate_ml_per_h,
                Decimal(rest.infusion_minutes),
                rest.remaining_volume_ml,
            ),
        ]
        checks = [check for check in checks if check < state.restarted_at] + [
            at(minute, state.restarted_at) for minute in rest.vital_checks_min
        ]
        end = at(rest.infusion_minutes, state.restarted_at)
    return SessionPlan(
        premedication_at=start - lead,
        infusion_start=start,
        steps=steps,
        vital_checks=checks,
        infusion_end=end,
        chair_until=end + observation,
        daily_volume_ml=plan.daily_volume_ml,
        daily_dose_g=plan.daily_dose_g,
        restart=restart,
        watch_list=list(Symptom.labels),
        state=state,
        first_rate_ml_per_h=plan.titration[0].rate_ml_per_h,
    )


def session_entries(session: InfusionSession) -> list[AdministrationEntry]:
    """The administration record, oldest first, with who recorded each entry."""
    return list(session.entries.select_related("recorded_by").order_by("occurred_at", "pk"))


# --- sessions not covered -----------------------------------------------------------------


@dataclass(frozen=True)
class UncoveredSession:
    session: InfusionSession
    day: date
    blocker: str


def scheduled_sessions(today: date) -> QuerySet[InfusionSession]:
    """Tentative or booked sessions from today on, with order, patient and chair."""
    return InfusionSession.objects.filter(
        status__in=(SessionStatus.TENTATIVE, SessionStatus.BOOKED),
        planned_start__gte=start_of_day(today),
    ).select_related("order", "order__patient", "chair")


def sessions_not_covered(
    today: date,
    *,
    sessions: Iterable[InfusionSession] | None = None,
    approvals: Mapping[int, list[Approval]] | None = None,
    coverage: dict[int, list[CycleCoverage]] | None = None,
) -> list[UncoveredSession]:
    """Sessions scheduled from today on that no approval covers (DESIGN 7), soonest first.
    Two queries (sessions with their orders, approvals); coverage per order computed once."""
    sessions = list(scheduled_sessions(today) if sessions is None else sessions)
    approvals = recent_approvals(today) if approvals is None else approvals
    coverage = {} if coverage is None else coverage
    rows = []
    for session in sessions:
        order = session.order
        if order.pk not in coverage:
            coverage[order.pk] = cover_cycles(
                planned_cycles(order), approvals.get(lineage_root_id(order), [])
            )
        day = timezone.localdate(session.planned_start)
        blocker = coverage_blocker(coverage[order.pk], day, session.cycle_number)
        if blocker:
            rows.append(UncoveredSession(session, day, blocker))
    return sorted(rows, key=lambda row: (row.session.planned_start, row.session.pk))


def uncovered_by_order(rows: Iterable[UncoveredSession]) -> dict[int, list[UncoveredSession]]:
    grouped: dict[int, list[UncoveredSession]] = defaultdict(list)
    for row in rows:
        grouped[row.session.order_id].append(row)
    return grouped
