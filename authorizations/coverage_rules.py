"""What an approved insurance authorization covers (docs/clinical-rules.md 7, 3.8
``NO_AUTHORIZATION``).

A cycle of an order is covered when an approved authorization of the order has every day of
the cycle within its valid_from..valid_to, and assigning the cycle to it keeps the cycles it
covers at most ``approved_cycles`` and the grams dispensed for them (vials, waste included:
vial grams per day times days, docs/clinical-rules.md 3.7) at most ``approved_grams``. Cycles are
taken in order and each goes to the first approval (by valid_from) that still has room.

Authorizations belong to an order row, but coverage is counted over the order's *lineage*:
a new version of the order (docs/clinical-rules.md 4) keeps the payer's approval of the course.

Grams come from the plan frozen at signing (``Order.plan_at_signing``: what was verified and
is dispensed); for an order without one (a draft) from the plan its caller gives (the plan
accessor judges NO_AUTHORIZATION on the plan it is computing), else the engine's plan of the
order on its own (``plan_on_its_own`` in ``orders.dose_plans.plan_accessor``: no calendar, no
coverage, so never a round trip through ``order_plan``), else the regimen's dates with unknown
grams, never covered. The start of a session asks the rule itself; the dashboard reads its
answers kept per cycle (authorizations/stored_coverage.py), written again by this rule whenever
an order's plan or an approval changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from ivig.templatetags.clinical import count, num
from orders.course_versions import lineages_order_ids
from orders.dose_plans.per_request import once_per_request
from orders.dose_plans.plan_accessor import plan_on_its_own
from orders.models import Order

from .models import Authorization, AuthorizationStatus

# docs/clinical-rules.md 8: an approval runs out when it expires within 30 days or has at most
# one cycle left while the order has more.
EXPIRING_WITHIN_DAYS = 30
CYCLES_LEFT_AT_MOST = 1
# An expired approval still covers the cycles given within its dates before it expired.
COVERING_STATUSES = (AuthorizationStatus.APPROVED, AuthorizationStatus.EXPIRED)


class _Days:
    days: tuple[date, ...]

    @property
    def first_day(self) -> date:
        return self.days[0]

    @property
    def last_day(self) -> date:
        return self.days[-1]


@dataclass(frozen=True)
class PlannedCycle(_Days):
    """One cycle of an order's plan; ``grams`` is what is dispensed for it (None: unknown)."""

    number: int
    days: tuple[date, ...]
    grams: Decimal | None


@dataclass(frozen=True)
class Approval:
    """An approved (or expired) authorization as coverage counts it."""

    id: int
    label: str
    status: str
    valid_from: date
    valid_to: date
    approved_cycles: int
    approved_grams: Decimal

    def contains(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class CycleCoverage(_Days):
    """Whether one cycle is covered, by which approval, or why not."""

    number: int
    days: tuple[date, ...]
    grams: Decimal | None
    authorization_id: int | None = None
    authorization_label: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    reason: str = ""

    @property
    def covered(self) -> bool:
        return self.authorization_id is not None


def lineage_root_id(order: Order) -> int:
    """The first version's id: authorizations of any version of the order count."""
    return order.lineage_id or order.pk


# --- the plan -----------------------------------------------------------------------------


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def planned_cycles_from_plan(plan: Mapping[str, Any] | None) -> list[PlannedCycle] | None:
    """Cycles and grams of a plan in docs/api.md's JSON shape (``dose_plan_to_json``); None when the
    plan has no cycles (the engine could not compute one)."""
    if not plan or not plan.get("cycles"):
        return None
    vials = plan.get("vials")
    daily_g = (
        sum((Decimal(str(vial["size_g"])) * int(vial["count"]) for vial in vials), Decimal(0))
        if vials
        else None
    )
    cycles = []
    for cycle in plan["cycles"]:
        days = tuple(_as_date(day) for day in cycle["days"])
        if days:
            grams = daily_g * len(days) if daily_g is not None else None
            cycles.append(PlannedCycle(number=int(cycle["number"]), days=days, grams=grams))
    return cycles or None


def planned_cycles_from_fields(order: Order) -> list[PlannedCycle]:
    """Cycle dates from the order's regimen (docs/clinical-rules.md 3.6) when no plan is available;
    grams unknown, so such cycles are never covered."""
    return [
        PlannedCycle(
            number=index + 1,
            days=tuple(
                order.start_date + timedelta(days=index * order.cycle_interval_days + day)
                for day in range(order.days_per_cycle)
            ),
            grams=None,
        )
        for index in range(order.cycles)
    ]


def planned_cycles(order: Order, plan: Mapping[str, Any] | None = None) -> list[PlannedCycle]:
    """The order's cycles with the grams dispensed for each: the plan frozen at signing, else
    ``plan`` (its caller's plan of the order, docs/api.md's JSON shape), else the engine's plan of
    the order on its own today, else the regimen's dates with unknown grams."""
    return (
        planned_cycles_from_plan(order.plan_at_signing)
        or planned_cycles_from_plan(plan)
        or planned_cycles_from_plan(plan_on_its_own(order, as_of=timezone.localdate()))
        or planned_cycles_from_fields(order)
    )


# --- approvals ----------------------------------------------------------------------------

_APPROVAL_FIELDS = (
    "id",
    "payer",
    "reference_number",
    "status",
    "valid_from",
    "valid_to",
    "approved_cycles",
    "approved_grams",
    "expired_at",
    "order_id",
    "order__lineage_id",
)


def _approval(row: Mapping[str, Any]) -> Approval:
    valid_to = row["valid_to"]
    expired_at: datetime | None = row["expired_at"]
    if row["status"] == AuthorizationStatus.EXPIRED and expired_at is not None:
        # Expired early (the payer withdrew it): it covers nothing after that day.
        valid_to = min(valid_to, timezone.localdate(expired_at))
    reference = row["reference_number"] or f"#{row['id']}"
    return Approval(
        id=row["id"],
        label=f"{row['payer']} {reference}",
        status=row["status"],
        valid_from=row["valid_from"],
        valid_to=valid_to,
        approved_cycles=row["approved_cycles"],
        approved_grams=row["approved_grams"],
    )


def as_approval(authorization: Authorization) -> Approval:
    """An authorization row as coverage counts it (``_approval``)."""
    return _approval(
        {
            field: getattr(authorization, field)
            for field in _APPROVAL_FIELDS
            if field != "order__lineage_id"
        }
    )


def approvals_by_lineage(rows: Iterable[Mapping[str, Any]]) -> dict[int, list[Approval]]:
    """Approval rows (``_APPROVAL_FIELDS``) grouped by the lineage root of their order."""
    grouped: dict[int, list[Approval]] = defaultdict(list)
    for row in rows:
        grouped[row["order__lineage_id"] or row["order_id"]].append(_approval(row))
    return grouped


def approval_rows(authorizations: Any = None) -> Any:
    """Covering authorizations as value rows (one query when evaluated)."""
    queryset = authorizations if authorizations is not None else Authorization.objects.all()
    return queryset.filter(status__in=COVERING_STATUSES).values(*_APPROVAL_FIELDS)


def approvals_for_order(order: Order) -> list[Approval]:
    """The approvals of the order's lineage (``approvals_for_orders`` of one order)."""
    return approvals_for_orders([order]).get(lineage_root_id(order), [])


def approvals_for_orders(orders: Iterable[Order]) -> dict[int, list[Approval]]:
    """The approvals of the orders' lineages, grouped by lineage root (``approvals_by_lineage``):
    one query, whatever the number of orders; once per request that only reads (the order page
    asks them for its plan's NO_AUTHORIZATION and for its coverage panel, issue 21)."""
    roots = frozenset(lineage_root_id(order) for order in orders)

    def read() -> dict[int, list[Approval]]:
        rows = approval_rows(Authorization.objects.filter(order_id__in=lineages_order_ids(roots)))
        return dict(approvals_by_lineage(rows))

    return once_per_request(("approvals of lineages", roots), read)


# --- the rule -----------------------------------------------------------------------------


def _no_room(
    approval: Approval,
    cycle: PlannedCycle,
    grams: Decimal,
    used_cycles: Mapping[int, int],
    used_grams: Mapping[int, Decimal],
) -> str | None:
    """Why ``approval`` cannot take ``cycle`` (None: it can)."""
    if not (approval.contains(cycle.first_day) and approval.contains(cycle.last_day)):
        return (
            f"outside {approval.label}'s dates "
            f"({approval.valid_from.isoformat()} to {approval.valid_to.isoformat()})"
        )
    if used_cycles[approval.id] + 1 > approval.approved_cycles:
        return f"{approval.label}'s {count(approval.approved_cycles, 'approved cycle')} are used"
    if used_grams[approval.id] + grams > approval.approved_grams:
        return (
            f"{num(grams)} g more would exceed {approval.label}'s "
            f"{num(approval.approved_grams)} approved g ({num(used_grams[approval.id])} g used)"
        )
    return None


def cover_cycles(
    cycles: Sequence[PlannedCycle], approvals: Sequence[Approval]
) -> list[CycleCoverage]:
    """docs/clinical-rules.md 7: assign each cycle, in order, to the first approval (by valid_from)
    whose dates hold every day of the cycle and which has room for one more cycle and its grams.
    Pure."""
    ordered = sorted(approvals, key=lambda approval: (approval.valid_from, approval.id))
    used_cycles: dict[int, int] = defaultdict(int)
    used_grams: dict[int, Decimal] = defaultdict(Decimal)
    result = []
    for cycle in cycles:
        grams = cycle.grams
        reasons: list[str] = []
        chosen: Approval | None = None
        if grams is None:
            reasons.append("the plan gives no grams to count against an approval")
        elif not ordered:
            reasons.append("no approved authorization")
        else:
            for approval in ordered:
                reason = _no_room(approval, cycle, grams, used_cycles, used_grams)
                if reason is None:
                    chosen = approval
                    break
                reasons.append(reason)
        if chosen is None:
            result.append(
                CycleCoverage(
                    number=cycle.number,
                    days=cycle.days,
                    grams=cycle.grams,
                    reason="; ".join(reasons),
                )
            )
            continue
        assert grams is not None
        used_cycles[chosen.id] += 1
        used_grams[chosen.id] += grams
        result.append(
            CycleCoverage(
                number=cycle.number,
                days=cycle.days,
                grams=cycle.grams,
                authorization_id=chosen.id,
                authorization_label=chosen.label,
                valid_from=chosen.valid_from,
                valid_to=chosen.valid_to,
            )
        )
    return result


def order_coverage(order: Order, plan: Mapping[str, Any] | None = None) -> list[CycleCoverage]:
    """Which of the order's cycles its approvals cover, and why not for the others (``plan``: as
    ``planned_cycles``; ``coverage_of_planned`` of one order)."""
    return coverage_of_planned([(order, plan)])[order.pk]


def coverage_of_planned(
    orders: Sequence[tuple[Order, Mapping[str, Any] | None]],
) -> dict[int | None, list[CycleCoverage]]:
    """Per order id, which of the order's cycles its approvals cover, and why not for the others
    (the plan beside each order: as ``planned_cycles``): the approvals of every order's lineage
    read in one query."""
    approvals = approvals_for_orders(order for order, _plan in orders)
    return {
        order.pk: cover_cycles(
            planned_cycles(order, plan), approvals.get(lineage_root_id(order), [])
        )
        for order, plan in orders
    }


def order_is_covered(order: Order, plan: Mapping[str, Any] | None = None) -> bool:
    """Whether approved authorizations cover every cycle of the order (docs/clinical-rules.md 7;
    ``orders_are_covered`` of one order)."""
    return orders_are_covered([(order, plan)])[order.pk]


def orders_are_covered(
    orders: Sequence[tuple[Order, Mapping[str, Any] | None]],
) -> dict[int | None, bool]:
    """Per order id, whether approved authorizations cover every cycle of the order (the plan
    beside it: as ``planned_cycles``): the coverage judge of ``orders.ports``."""
    return {
        pk: all(cycle.covered for cycle in coverage)
        for pk, coverage in coverage_of_planned(orders).items()
    }


def orders_coverage(
    orders: Iterable[Order], approvals: Mapping[int, list[Approval]]
) -> dict[int, list[CycleCoverage]]:
    """Coverage of many orders from approvals already grouped by lineage (no query for
    orders with a plan frozen at signing)."""
    return {
        order.pk: cover_cycles(planned_cycles(order), approvals.get(lineage_root_id(order), []))
        for order in orders
    }


def coverage_of_orders(
    order_ids: Iterable[int], approvals: Mapping[int, list[Approval]]
) -> dict[int, list[CycleCoverage]]:
    """``orders_coverage`` of many orders by id, reading of each frozen plan only its cycles and
    vials (what coverage counts), not the whole JSON: one query (and the engine for an order
    without a frozen plan, as ``planned_cycles``)."""
    rows = Order.objects.filter(pk__in=set(order_ids)).values(
        "pk",
        "lineage_id",
        plan_cycles=F("plan_at_signing__cycles"),
        plan_vials=F("plan_at_signing__vials"),
    )
    coverage = {}
    for row in rows:
        cycles = planned_cycles_from_plan(
            {"cycles": row["plan_cycles"], "vials": row["plan_vials"]}
        )
        if cycles is None:
            cycles = planned_cycles(Order.objects.get(pk=row["pk"]))
        root = row["lineage_id"] or row["pk"]
        coverage[row["pk"]] = cover_cycles(cycles, approvals.get(root, []))
    return coverage


# --- sessions -----------------------------------------------------------------------------


def cycle_for_session(
    coverage: Sequence[CycleCoverage], day: date, cycle_number: int | None = None
) -> CycleCoverage | None:
    """The cycle a session belongs to: by its cycle number when it has one, else the cycle
    holding its day."""
    if cycle_number is not None:
        return next((cycle for cycle in coverage if cycle.number == cycle_number), None)
    return next((cycle for cycle in coverage if day in cycle.days), None)


def coverage_blocker(
    coverage: Sequence[CycleCoverage], day: date, cycle_number: int | None = None
) -> str | None:
    """Why a session on ``day`` may not start, or None when an approval covers it (its cycle
    is covered and the day itself is within the approval's dates)."""
    cycle = cycle_for_session(coverage, day, cycle_number)
    if cycle is None:
        return (
            f"No authorization covers this session: {day.isoformat()} is not a day of the "
            "order's planned cycles."
        )
    if not cycle.covered:
        return f"No authorization covers cycle {cycle.number}: {cycle.reason}."
    assert cycle.valid_from is not None and cycle.valid_to is not None
    if not cycle.valid_from <= day <= cycle.valid_to:
        return (
            f"No authorization covers this session: {day.isoformat()} is outside "
            f"{cycle.authorization_label}'s dates ({cycle.valid_from.isoformat()} to "
            f"{cycle.valid_to.isoformat()})."
        )
    return None


# --- running out ------------------------------------------------------------------------


def renewal_flags(
    approval: Approval, coverage: Sequence[CycleCoverage], today: date
) -> tuple[int, int, int, bool, bool]:
    """(days to expiry, approved cycles left, order cycles left, expiring, cycles low). A cycle
    uses an approval once it has started; the order's cycles left are those not yet started."""
    days_to_expiry = (approval.valid_to - today).days
    used = sum(
        1
        for cycle in coverage
        if cycle.authorization_id == approval.id and cycle.first_day <= today
    )
    cycles_left = approval.approved_cycles - used
    order_cycles_left = sum(1 for cycle in coverage if cycle.first_day > today)
    expiring = 0 <= days_to_expiry <= EXPIRING_WITHIN_DAYS
    cycles_low = cycles_left <= CYCLES_LEFT_AT_MOST and order_cycles_left > cycles_left
    return days_to_expiry, cycles_left, order_cycles_left, expiring, cycles_low
