"""Reading bookings: sessions in a range, the cycles to book and the next cycle of each order
(STYLE: selectors)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from infusions.booking.models import LIVE_STATUSES, STARTED_STATUSES, InfusionSession
from infusions.chairs.models import Chair
from orders.models import BOOKABLE_STATUSES, Order, OrderStatus, cycle_day_after_booked


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


@dataclass(frozen=True)
class OrderToBook:
    order: Order
    next_cycle: int
    cycle_first_day: date


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
    while ``booking.next_cycles.refresh_next_cycles`` is called on every change). One query."""
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
    (``booking.next_cycles.refresh_next_cycles``), however many orders (paginate it). An order
    with every cycle booked has no due day, so the window's filter leaves it out.

    Both halves are read from the ``order_bookable_next_due`` index (its count from the index
    alone); the successor in force is an ``EXISTS`` answered by ``order_successor_in_force``,
    not a join of every order to its successor (at 10,000 patients the join made the page and
    its count 12-18 ms each on a quiet server, ~35 ms under load; the index 0.4 and 0.6 ms)."""
    today = today or timezone.localdate()
    return (
        Order.objects.filter(
            Q(status__in=BOOKABLE_STATUSES)
            # docs/clinical-rules.md 4: a version superseded once verified keeps its cycles
            # planned before its new version's first day
            # (``booking.next_cycles.next_cycle_in_force`` stores no next cycle past it) while
            # that version is in force.
            | Q(
                Q(status=OrderStatus.SUPERSEDED, verified_at__isnull=False),
                Exists(
                    Order.objects.filter(supersedes=OuterRef("pk"), status__in=BOOKABLE_STATUSES)
                ),
            ),
            next_cycle_due__lte=today + timedelta(days=window_days),
        )
        .select_related("patient", "product")
        .only(*TO_BOOK_FIELDS)
        .order_by("next_cycle_due", "pk")
    )


def to_book_rows(orders: Iterable[Order]) -> list[OrderToBook]:
    """Each order's next cycle to book, from the day booking proposes by default: its planned
    day moved with the latest cycle booked before it (``cycle_day_after_booked``,
    docs/clinical-rules.md 6). One query for the orders of a page."""
    rows = [(order, order.next_cycle) for order in orders if order.next_cycle is not None]
    first_booked_days: dict[int, dict[int, date]] = {order.pk: {} for order, _ in rows}
    if rows:
        for order_id, cycle_number, first_day in (
            InfusionSession.objects.filter(
                order_id__in=list(first_booked_days), status__in=LIVE_STATUSES
            )
            .order_by()
            .values("order_id", "cycle_number")
            .annotate(first_day=Min("planned_day"))
            .values_list("order_id", "cycle_number", "first_day")
        ):
            first_booked_days[order_id][cycle_number] = first_day
    return [
        OrderToBook(
            order, number, cycle_day_after_booked(order, number, first_booked_days[order.pk])
        )
        for order, number in rows
    ]


def orders_to_book(
    today: date | None = None, window_days: int = TO_BOOK_WINDOW_DAYS
) -> list[OrderToBook]:
    """The cycles to book within the window (``cycles_to_book``), as rows."""
    return to_book_rows(cycles_to_book(today, window_days))
