"""Reading the schedule and the administration record (STYLE: selectors)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from authorizations.coverage import (
    Approval,
    CycleCoverage,
    cover_cycles,
    coverage_blocker,
    coverage_of_orders,
    lineage_root_id,
    planned_cycles,
)
from authorizations.selectors import recent_approvals, start_of_day
from ivig.engine import Finding
from ivig.engine.restart import restart_plan
from orders.models import BOOKABLE_STATUSES, Order, OrderStatus
from orders.plans import SessionReason

from .given import Given, given_from, latest_completion
from .models import (
    ACTIVE_STATUSES,
    LIVE_STATUSES,
    STARTED_STATUSES,
    AdministrationEntry,
    Chair,
    InfusionSession,
    SessionStatus,
    Symptom,
    status_label,
)
from .plans import session_plan, session_runnable_plan
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
    sessions = sessions.defer("order__plan_at_signing", "order__findings_at_signing")
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


def schedule_chairs(start: datetime, end: datetime) -> list[Chair]:
    """The schedule's chairs for [start, end): the active ones by name, then any other chair a
    session in the range uses (one query; as many as the unit has chairs, whatever its number
    of patients). Paginate them: the page's chairs bound the sessions a schedule page draws;
    ``with_hours`` then loads the page's opening hours."""
    used = InfusionSession.objects.filter(planned_start__gte=start, planned_start__lt=end)
    return list(
        Chair.objects.filter(Q(active=True) | Q(pk__in=used.values("chair_id"))).order_by(
            F("active").desc(), "name", "pk"
        )
    )


def with_hours(chairs: list[Chair]) -> list[Chair]:
    """``chairs`` with their opening hours (one query)."""
    prefetch_related_objects(chairs, "opening_hours")
    return chairs


@dataclass(frozen=True)
class ScheduledSession:
    """What the schedule draws of a session, its order, patient, product and chair: plain
    values read in one query (no model instances: the schedule's cost per session is small)."""

    pk: int
    order_id: int
    patient_id: int
    chair_id: int
    cycle_number: int
    day_number: int
    planned_start: datetime
    planned_end: datetime
    status: str
    chair_name: str
    family_name: str
    given_name: str
    mrn: str
    brand_name: str
    partial_dose: bool = False

    @property
    def status_label(self) -> str:
        return status_label(self.status, self.partial_dose)


def schedule_sessions(
    start: datetime, end: datetime, chairs: Iterable[Chair]
) -> list[ScheduledSession]:
    """``sessions_for_range`` in ``chairs`` only, as ``ScheduledSession`` rows (one query)."""
    rows = (
        InfusionSession.objects.filter(
            planned_start__gte=start, planned_start__lt=end, chair__in=list(chairs)
        )
        .order_by("planned_start", "chair__name", "pk")
        .values_list(
            "pk",
            "order_id",
            "order__patient_id",
            "chair_id",
            "cycle_number",
            "day_number",
            "planned_start",
            "planned_end",
            "status",
            "chair__name",
            "order__patient__family_name",
            "order__patient__given_name",
            "order__patient__mrn",
            "order__product__brand_name",
            "partial_dose",
        )
    )
    return [ScheduledSession(*row) for row in rows]


@dataclass(frozen=True)
class OrderToBook:
    order: Order
    next_cycle: int
    cycle_first_day: date | None


# "Cycles to book" lists cycles due within this many days from today (overdue ones included).
TO_BOOK_WINDOW_DAYS = 14
TO_BOOK_WINDOWS = (7, 14, 28, 56)


class AddDays(Func):
    """``day + days`` in SQL (a date plus a whole number of days), on PostgreSQL and SQLite."""

    output_field = DateField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", '+' || ",
        )


def next_cycle_from_sessions() -> QuerySet[Order]:
    """Every order annotated, in SQL, with ``computed_next_cycle`` (the first cycle with no live
    session after the latest cycle given or under way: one after that cycle if it is free, else
    one after a booked cycle past it whose successor is free; null when there is none, or, for a
    version superseded once verified, when that cycle is planned on or after its new version's
    first day) and ``computed_next_cycle_due`` (``start_date`` + (cycle - 1) x interval, as the
    cycles are counted in docs/clinical-rules.md 3.6), by correlated subqueries per order.

    Not for pages (it reads every order's sessions): the independent check of the stored
    ``Order.next_cycle`` and ``next_cycle_due`` (``manage.py check_next_cycles``, the tests)."""
    live = InfusionSession.objects.filter(status__in=LIVE_STATUSES)
    latest_started = Coalesce(
        Subquery(
            InfusionSession.objects.filter(order=OuterRef("pk"), status__in=STARTED_STATUSES)
            .order_by("-cycle_number")
            .values("cycle_number")[:1]
        ),
        Value(0),
    )
    first_free = ~Exists(
        live.filter(order=OuterRef("pk"), cycle_number=OuterRef("latest_started") + 1)
    )
    successor_booked = Exists(
        live.filter(order_id=OuterRef("order_id"), cycle_number=OuterRef("cycle_number") + 1)
    )
    after_booked = (
        live.filter(
            order=OuterRef("pk"),
            cycle_number__gt=OuterRef("latest_started"),
            cycle_number__lt=OuterRef("cycles"),
        )
        .exclude(successor_booked)
        .order_by("cycle_number")
        .values("cycle_number")[:1]
    )
    return (
        Order.objects.defer("plan_at_signing", "findings_at_signing")
        .annotate(latest_started=latest_started)
        .annotate(
            raw_next_cycle=Case(
                When(latest_started__gte=F("cycles"), then=Value(None)),
                When(first_free, then=F("latest_started") + 1),
                default=Subquery(after_booked) + 1,
                output_field=IntegerField(),
            )
        )
        .annotate(
            raw_next_cycle_due=AddDays(
                F("start_date"), (F("raw_next_cycle") - 1) * F("cycle_interval_days")
            )
        )
        .annotate(
            computed_next_cycle=Case(
                When(
                    Q(
                        status=OrderStatus.SUPERSEDED,
                        verified_at__isnull=False,
                        raw_next_cycle_due__gte=F("superseded_by__start_date"),
                    ),
                    then=Value(None),
                ),
                default=F("raw_next_cycle"),
                output_field=IntegerField(),
            )
        )
        .annotate(
            computed_next_cycle_due=AddDays(
                F("start_date"), (F("computed_next_cycle") - 1) * F("cycle_interval_days")
            )
        )
    )


@dataclass(frozen=True)
class StaleNextCycle:
    order_id: int
    stored: tuple[int | None, date | None]
    from_sessions: tuple[int | None, date | None]


def stale_next_cycles() -> list[StaleNextCycle]:
    """Orders whose stored next cycle or due day differs from what their sessions say (none,
    while ``booking.refresh_next_cycles`` is called on every change). One query."""
    return [
        StaleNextCycle(order.pk, stored, from_sessions)
        for order in next_cycle_from_sessions().order_by("pk").iterator()
        if (stored := (order.next_cycle, order.next_cycle_due))
        != (
            from_sessions := (
                order.computed_next_cycle,  # type: ignore[attr-defined]
                order.computed_next_cycle_due,  # type: ignore[attr-defined]
            )
        )
    ]


# What a row of "Cycles to book" shows of an order, its patient and product.
TO_BOOK_FIELDS = (
    "id",
    "lineage_id",
    "status",
    "cycles",
    "cycle_interval_days",
    "start_date",
    "next_cycle",
    "next_cycle_due",
    "plan_grams_per_cycle",
    "patient__id",
    "patient__family_name",
    "patient__given_name",
    "patient__mrn",
    "product__id",
    "product__brand_name",
)


def cycles_to_book(
    today: date | None = None, window_days: int = TO_BOOK_WINDOW_DAYS
) -> QuerySet[Order]:
    """The versions in force with a cycle to book due by ``today + window_days`` (overdue ones
    too): verified and active orders, and a version superseded once verified for its cycles
    before its new version's first day while that one is in force; the soonest due first,
    with patient and product: one query on the stored, indexed ``next_cycle_due``
    (``booking.refresh_next_cycles``), however many orders (paginate it). An order with every
    cycle booked has no due day, so the window's filter leaves it out."""
    today = today or timezone.localdate()
    return (
        Order.objects.filter(
            Q(status__in=BOOKABLE_STATUSES)
            # docs/clinical-rules.md 4: a version superseded once verified keeps its cycles
            # planned before its new version's first day (``booking.next_cycle_in_force``
            # stores no next cycle past it) while that version is in force.
            | Q(
                status=OrderStatus.SUPERSEDED,
                verified_at__isnull=False,
                superseded_by__status__in=BOOKABLE_STATUSES,
            ),
            next_cycle_due__lte=today + timedelta(days=window_days),
        )
        .select_related("patient", "product")
        .only(*TO_BOOK_FIELDS)
        .order_by("next_cycle_due", "pk")
    )


def to_book_rows(orders: Iterable[Order]) -> list[OrderToBook]:
    return [
        OrderToBook(order, order.next_cycle, order.next_cycle_due)
        for order in orders
        if order.next_cycle is not None
    ]


def orders_to_book(
    today: date | None = None, window_days: int = TO_BOOK_WINDOW_DAYS
) -> list[OrderToBook]:
    """The cycles to book within the window (``cycles_to_book``), as rows."""
    return to_book_rows(cycles_to_book(today, window_days))


# --- the plan at clock times ------------------------------------------------------------------


@dataclass(frozen=True)
class ClockStep:
    at: datetime
    rate_ml_per_h: int
    minutes: Decimal
    volume_ml: Decimal
    limited_by: str | None = None  # what shaped the rate (docs/clinical-rules.md 3.4, v3)


@dataclass(frozen=True)
class RestartInfo:
    at: datetime
    rate_ml_per_h: int
    volume_given_ml: Decimal
    remaining_volume_ml: Decimal


@dataclass(frozen=True)
class SessionPlan:
    """The plan at clock times (docs/clinical-rules.md 3.5): from the actual start once the infusion
    started, recomputed from the last restart when there was one."""

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
    # How much of the day was given and what remains (``given.session_given``'s rules).
    given: Given
    first_rate_ml_per_h: int
    # docs/clinical-rules.md 3.9: the order's findings as of now, those new since signing, and
    # the findings at signing, shown beside the watch list.
    findings: list[Finding]
    new_finding_codes: list[str]
    signed_findings: list[Finding]
    # docs/clinical-rules.md 3.8.2: the reasons given on this session for its session-only
    # findings, which answer them for this session only.
    session_reasons: list[SessionReason]


def session_plan_at_clock_times(
    session: InfusionSession, entries: list[AdministrationEntry] | None = None
) -> SessionPlan:
    """Premedication time, each titration step's clock time and rate, each vital check's clock
    time, the end and the watch list. Before the start the clock is the booking (premedication
    at the planned start, the infusion after the engine's premedication lead); after it, the
    start entry's time; after a restart, the engine's restart plan from then."""
    living = session_plan(session)
    plan = session_runnable_plan(session, living=living)  # capped by reaction plans (3.8.3)
    assert plan.titration is not None and plan.premedication_min_before is not None
    assert plan.infusion_minutes is not None and plan.vital_checks_min is not None
    assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
    assert plan.chair_minutes is not None
    rows = list(entries if entries is not None else session.entries.all())
    state = infusion_state(rows)
    concentration_pct = session.order.product.concentration_pct

    def given_at(moment: datetime, completion: AdministrationEntry | None = None) -> Given:
        assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
        return given_from(
            state,
            completion,
            day_volume_ml=plan.daily_volume_ml,
            day_dose_g=plan.daily_dose_g,
            concentration_pct=concentration_pct,
            at=moment,
        )

    lead = timedelta(minutes=plan.premedication_min_before)
    start = state.started_at or session.planned_start + lead
    observation = timedelta(
        minutes=plan.chair_minutes - plan.premedication_min_before - plan.infusion_minutes
    )

    def at(minute: int | Decimal, since: datetime = start) -> datetime:
        return since + timedelta(minutes=float(minute))

    steps = [
        ClockStep(
            at(step.start_min), step.rate_ml_per_h, step.minutes, step.volume_ml, step.limited_by
        )
        for step in plan.titration
    ]
    checks = [at(minute) for minute in plan.vital_checks_min]
    end = at(plan.infusion_minutes)
    restart = None
    if state.restarted_at is not None and state.restart_rate_ml_per_h is not None:
        given = given_at(state.restarted_at).volume_ml
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
        given=given_at(timezone.now(), latest_completion(rows)),
        first_rate_ml_per_h=plan.titration[0].rate_ml_per_h,
        findings=living.findings,
        new_finding_codes=living.new_finding_codes,
        signed_findings=living.signed_findings,
        session_reasons=list(living.session_reasons.values()),
    )


def next_session(order: Order) -> InfusionSession | None:
    """The order's next session still to run (in progress, or booked or tentative from today
    on), the earliest first: the one its printed sheet is for."""
    return (
        InfusionSession.objects.filter(
            order=order,
            status__in=ACTIVE_STATUSES,
            planned_start__gte=start_of_day(timezone.localdate()),
        )
        .select_related("order__patient", "order__product", "order__indication", "chair")
        .order_by("planned_start", "pk")
        .first()
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
    """Sessions scheduled from today on that no approval covers (docs/clinical-rules.md 7), soonest
    first. Two queries (sessions with their orders, approvals); coverage per order computed once."""
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


UNCOVERED_PER_PAGE = 20


def sessions_not_covered_page(today: date, *, page: Any = 1, query: str = "") -> Page:
    """``sessions_not_covered`` as the dashboard shows it: the count and one page of
    ``UncoveredSession`` rows, soonest first, optionally of patients whose MRN or name has every
    word of ``query``. Every scheduled session is judged, but from light rows (its id, order,
    start and cycle; of each order's frozen plan only its cycles and vials); only the page's
    sessions are loaded in full. Five queries."""
    sessions = InfusionSession.objects.filter(
        status__in=(SessionStatus.TENTATIVE, SessionStatus.BOOKED),
        planned_start__gte=start_of_day(today),
    )
    for term in query.split()[:5]:
        sessions = sessions.filter(
            Q(order__patient__mrn__icontains=term)
            | Q(order__patient__family_name__icontains=term)
            | Q(order__patient__given_name__icontains=term)
        )
    rows = list(sessions.values_list("pk", "order_id", "planned_start", "cycle_number"))
    coverage = coverage_of_orders({order_id for _, order_id, _, _ in rows}, recent_approvals(today))
    zone = timezone.get_current_timezone()
    uncovered = []
    for pk, order_id, start, cycle_number in rows:
        day = start.astimezone(zone).date()
        blocker = coverage_blocker(coverage[order_id], day, cycle_number)
        if blocker:
            uncovered.append((start, pk, day, blocker))
    uncovered.sort(key=lambda row: (row[0], row[1]))
    found: Page[Any] = Paginator(uncovered, UNCOVERED_PER_PAGE).get_page(page)
    loaded = InfusionSession.objects.select_related("order", "order__patient", "chair").in_bulk(
        [pk for _, pk, _, _ in found.object_list]
    )
    found.object_list = [
        UncoveredSession(loaded[pk], day, blocker) for _, pk, day, blocker in found.object_list
    ]
    return found


def uncovered_by_order(rows: Iterable[UncoveredSession]) -> dict[int, list[UncoveredSession]]:
    grouped: dict[int, list[UncoveredSession]] = defaultdict(list)
    for row in rows:
        grouped[row.session.order_id].append(row)
    return grouped
