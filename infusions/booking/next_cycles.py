"""The next cycle to book of each order (``Order.next_cycle``, ``next_cycle_due``;
docs/architecture.md, Next cycle to book): a fact about sessions that ``refresh_next_cycles``
alone writes, in the transaction of every change to an order's live sessions, under the order's
row lock taken first. ``manage.py check_next_cycles`` compares them with the sessions."""

from collections.abc import Collection, Iterable
from datetime import date

from django.db import transaction

from infusions.booking.models import (
    LIVE_STATUSES,
    STARTED_STATUSES,
    InfusionSession,
)
from orders.models import (
    NEXT_CYCLE_FIELDS,
    Order,
    OrderStatus,
    cycle_due_day,
)


def first_free_cycle(
    cycles: int, booked: Collection[int], started: Collection[int] = ()
) -> int | None:
    """The cycle "Cycles to book" offers: the first of cycles 1 to ``cycles`` with no live
    session (``booked``) after the latest cycle with a session given or under way
    (``started``): a cycle before one already given is past, not to book (docs/clinical-rules.md
    6); None when there is none."""
    after = max(started, default=0)
    return next((number for number in range(after + 1, cycles + 1) if number not in booked), None)


def next_cycle_in_force(order: Order, number: int | None, replaced_from: date | None) -> int | None:
    """``number``, the next cycle of ``order``'s sessions, unless the version no longer books it:
    a version superseded once verified (docs/clinical-rules.md 4) books only the cycles planned
    to start before its new version's first day (``replaced_from``)."""
    if (
        number is not None
        and order.status == OrderStatus.SUPERSEDED
        and order.verified_at is not None
        and replaced_from is not None
        and cycle_due_day(order, number) >= replaced_from  # type: ignore[operator]
    ):
        return None
    return number


def refresh_next_cycles(order_ids: Iterable[int]) -> dict[int, int | None]:
    """Store each order's next cycle to book and its due day (``Order.next_cycle``,
    ``next_cycle_due``) from its live sessions; returns the next cycle by order id. The one
    writer of those columns: every path that books, cancels, moves or misses a session calls it
    (via ``refresh_next_cycle``) in its transaction, after any save of the order itself.

    Takes the orders' row locks (the first lock of the booking order, module docstring) and
    reads the sessions after them, so that two transactions changing one order's sessions at
    once store what both did. Three queries however many orders (the update only when a value
    changed)."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .only(
                "pk",
                "status",
                "verified_at",
                "cycles",
                "start_date",
                "cycle_interval_days",
                *NEXT_CYCLE_FIELDS,
            )
        )
        booked: dict[int, set[int]] = {order.pk: set() for order in orders}
        started: dict[int, set[int]] = {order.pk: set() for order in orders}
        for order_id, cycle_number, status in InfusionSession.objects.filter(
            order_id__in=ids, status__in=LIVE_STATUSES
        ).values_list("order_id", "cycle_number", "status"):
            booked[order_id].add(cycle_number)
            if status in STARTED_STATUSES:
                started[order_id].add(cycle_number)
        superseded = [o.pk for o in orders if o.status == OrderStatus.SUPERSEDED]
        replaced_from = dict(
            Order.objects.filter(supersedes_id__in=superseded).values_list(
                "supersedes_id", "start_date"
            )
            if superseded
            else []
        )
        changed = []
        for order in orders:
            number = next_cycle_in_force(
                order,
                first_free_cycle(order.cycles, booked[order.pk], started[order.pk]),
                replaced_from.get(order.pk),
            )
            due = cycle_due_day(order, number)
            if (order.next_cycle, order.next_cycle_due) != (number, due):
                order.next_cycle, order.next_cycle_due = number, due
                changed.append(order)
        if changed:
            Order.objects.bulk_update(changed, list(NEXT_CYCLE_FIELDS), batch_size=1000)
    return {order.pk: order.next_cycle for order in orders}


def refresh_next_cycle(order: Order) -> None:
    """``refresh_next_cycles`` for one order; ``order`` (an instance the caller may save again)
    gets the stored values too."""
    order.next_cycle = refresh_next_cycles([order.pk])[order.pk]
    order.next_cycle_due = cycle_due_day(order, order.next_cycle)
