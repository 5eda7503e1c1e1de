"""Coverage stored per cycle (``OrderCycleCoverage``, ``OrderApproval``): the answer of the one
rule (``coverage_rules.cover_cycles``) for every order with a plan frozen at signing, kept so
that the dashboard reads it with SQL instead of running the rule over every order's plan.

What coverage depends on, and who writes the rows again (``receivers``, inside the changing
transaction, so the rows commit or roll back with the change):

- the order's frozen plan and lineage: every save of an order that loaded its plan (signing
  freezes it, rejection clears it);
- the covering approvals of the order's lineage (their dates, cycles, grams, expiry, payer and
  reference for the label): every save of an approved or expired authorization, and the daily
  expiry sweep's bulk update.

Each write announces ``coverage_stored`` (the orders' sessions are judged again above).
Nothing here depends on today, so rows never go stale with time. Writes that bypass ``save``
(bulk seeding) are followed by ``rebuild_coverage`` (``manage.py rebuild_rollups``). An order
without rows is judged by the rule itself wherever these rows are read, so a missing row is
slow, never wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from orders.models import Order

from .coverage_rules import (
    Approval,
    CycleCoverage,
    approval_rows,
    approvals_by_lineage,
    cover_cycles,
    coverage_of_orders,
    planned_cycles_from_plan,
    renewal_flags,
)
from .models import Authorization, AuthorizationStatus, OrderApproval, OrderCycleCoverage
from .signals import coverage_stored

BATCH = 1000


def _order_rows(orders: Any) -> Any:
    """Of each order only what coverage reads: of its frozen plan the cycles and vials."""
    return orders.values(
        "pk",
        "lineage_id",
        plan_cycles=F("plan_at_signing__cycles"),
        plan_vials=F("plan_at_signing__vials"),
    )


def _rows_for(
    orders: Iterable[Mapping[str, Any]], approvals: Mapping[int, list[Approval]]
) -> tuple[list[OrderCycleCoverage], list[OrderApproval]]:
    cycles: list[OrderCycleCoverage] = []
    pairs: list[OrderApproval] = []
    for row in orders:
        planned = planned_cycles_from_plan(
            {"cycles": row["plan_cycles"], "vials": row["plan_vials"]}
        )
        if planned is None:
            continue  # no frozen plan: judged by the rule where it is read
        lineage = approvals.get(row["lineage_id"] or row["pk"], [])
        coverage = cover_cycles(planned, lineage)
        cycles.extend(
            OrderCycleCoverage(
                order_id=row["pk"],
                cycle_number=cycle.number,
                first_day=cycle.first_day,
                last_day=cycle.last_day,
                authorization_id=cycle.authorization_id,
                authorization_label=cycle.authorization_label,
                valid_from=cycle.valid_from,
                valid_to=cycle.valid_to,
                reason=cycle.reason,
            )
            for cycle in coverage
        )
        for approval in lineage:
            low = cycles_low_days(approval, coverage)
            pairs.append(
                OrderApproval(
                    order_id=row["pk"],
                    authorization_id=approval.id,
                    approved=approval.status == AuthorizationStatus.APPROVED,
                    valid_to=approval.valid_to,
                    cycles_low_from=low[0] if low else None,
                    cycles_low_to=low[1] if low else None,
                )
            )
    return cycles, pairs


def cycles_low_days(
    approval: Approval, coverage: Sequence[CycleCoverage]
) -> tuple[date, date] | None:
    """The first and last day on which ``renewal_flags`` says ``approval`` has at most one cycle
    left while the order has more (``date.min``: from the start), or None. The flag is constant
    between the cycles' first days, so it is asked once per stretch; it holds on one run of
    days, as the approval's cycles left only fall and the order's cycles left beyond them too."""
    days = sorted({cycle.first_day for cycle in coverage})
    if not days:
        return None
    starts = [days[0] - timedelta(days=1), *days]  # the day each stretch of days starts
    low = [index for index, day in enumerate(starts) if renewal_flags(approval, coverage, day)[4]]
    if not low:
        return None
    assert low == list(range(low[0], low[-1] + 1)), "one run of days"
    first = date.min if low[0] == 0 else starts[low[0]]
    last = starts[low[-1] + 1] - timedelta(days=1) if low[-1] + 1 < len(starts) else date.max
    return first, last


def lineage_approvals(roots: Iterable[int]) -> dict[int, list[Approval]]:
    """Every covering approval of these lineages (roots), by lineage: one query."""
    roots = sorted(set(roots))
    return approvals_by_lineage(
        approval_rows(
            Authorization.objects.filter(Q(order_id__in=roots) | Q(order__lineage_id__in=roots))
        )
    )


def _store(order_rows: Sequence[Mapping[str, Any]]) -> None:
    ids = [row["pk"] for row in order_rows]
    OrderCycleCoverage.objects.filter(order_id__in=ids).delete()
    OrderApproval.objects.filter(order_id__in=ids).delete()
    roots = {row["lineage_id"] or row["pk"] for row in order_rows if row["plan_cycles"]}
    if roots:
        cycles, pairs = _rows_for(order_rows, lineage_approvals(roots))
        OrderCycleCoverage.objects.bulk_create(cycles, batch_size=BATCH)
        OrderApproval.objects.bulk_create(pairs, batch_size=BATCH)
    coverage_stored.send(sender=OrderCycleCoverage, order_ids=ids)


def store_order_coverage(order_ids: Iterable[int]) -> None:
    """Write the coverage rows of these orders again (their plans changed)."""
    ids = sorted(set(order_ids))
    if ids:
        _store(list(_order_rows(Order.objects.filter(pk__in=ids))))


def store_lineage_coverage(roots: Iterable[int]) -> None:
    """Write the coverage rows of every order of these lineages again (an approval changed)."""
    roots = sorted(set(roots))
    if roots:
        _store(list(_order_rows(Order.objects.filter(Q(pk__in=roots) | Q(lineage_id__in=roots)))))


def rebuild_coverage() -> int:
    """Every order's coverage rows from scratch (idempotent): every frozen plan's cycles and
    vials and every covering approval read once; returns how many orders have rows."""
    OrderCycleCoverage.objects.all().delete()
    OrderApproval.objects.all().delete()
    orders = _order_rows(Order.objects.filter(plan_at_signing__isnull=False).order_by("pk"))
    cycles, pairs = _rows_for(
        orders.iterator(chunk_size=BATCH), approvals_by_lineage(approval_rows())
    )
    OrderCycleCoverage.objects.bulk_create(cycles, batch_size=BATCH)
    OrderApproval.objects.bulk_create(pairs, batch_size=BATCH)
    return len({row.order_id for row in cycles})


# --- reading ------------------------------------------------------------------------------


def stored_cycle(row: OrderCycleCoverage) -> CycleCoverage:
    """A stored row as the rule's ``CycleCoverage`` (its days: the first and the last; grams are
    not kept, nothing that reads stored rows counts them)."""
    return CycleCoverage(
        number=row.cycle_number,
        days=(row.first_day, row.last_day),
        grams=None,
        authorization_id=row.authorization_id,
        authorization_label=row.authorization_label,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        reason=row.reason,
    )


def stored_coverage(order_ids: Iterable[int]) -> dict[int, list[CycleCoverage]]:
    """The stored coverage of these orders, by order (orders without rows are left out): one
    query."""
    coverage: dict[int, list[CycleCoverage]] = {}
    rows = OrderCycleCoverage.objects.filter(order_id__in=set(order_ids)).order_by(
        "order_id", "cycle_number"
    )
    for row in rows:
        coverage.setdefault(row.order_id, []).append(stored_cycle(row))
    return coverage


def coverage_by_rule(order_ids: Iterable[int]) -> dict[int, list[CycleCoverage]]:
    """The rule's coverage of these orders (for those without stored rows), by order: as
    ``order_coverage`` of each, in three queries for orders with a frozen plan."""
    ids = set(order_ids)
    roots = Order.objects.filter(pk__in=ids).annotate(root=Coalesce("lineage_id", "pk"))
    return coverage_of_orders(ids, lineage_approvals(roots.values_list("root", flat=True)))
