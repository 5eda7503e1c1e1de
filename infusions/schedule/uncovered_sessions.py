"""Whether an infusion session may start as far as insurance is concerned (docs/clinical-rules.md
7 and 3.8 ``NO_AUTHORIZATION``): a session may be booked without an approval but not started."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from django.db.models import F
from django.utils import timezone

from authorizations.coverage import (
    cover_cycles,
    coverage_blocker,
    order_coverage,
    planned_cycles_from_plan,
)
from authorizations.selectors import recent_approvals
from orders.models import Order

from .models import ACTIVE_STATUSES, InfusionSession


def urgent_first_cycle(urgent: bool, cycle_number: int | None) -> bool:
    """docs/clinical-rules.md 3.10 (rules v3): an urgent order's first cycle starts without a prior
    approval (a retrospective authorization is due); later cycles need one as usual."""
    return urgent and cycle_number == 1


def session_coverage_blocker(session: InfusionSession) -> str | None:
    """The message that refuses the start of ``session``, or None when an approval covers it
    (or it is an urgent order's first cycle)."""
    if urgent_first_cycle(session.order.urgent, session.cycle_number):
        return None
    return coverage_blocker(
        order_coverage(session.order),
        timezone.localdate(session.planned_start),
        session.cycle_number,
    )


def is_covered_by_approval(session: InfusionSession) -> bool:
    """An approval covers ``session`` (the urgent first-cycle exemption left aside)."""
    return (
        coverage_blocker(
            order_coverage(session.order),
            timezone.localdate(session.planned_start),
            session.cycle_number,
        )
        is None
    )


def session_is_covered(session: InfusionSession) -> bool:
    return session_coverage_blocker(session) is None


class SessionOnDay(Protocol):
    """What the badge reads of a session (an ``InfusionSession`` or a schedule row)."""

    @property
    def pk(self) -> Any: ...
    @property
    def order_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def planned_start(self) -> datetime: ...
    @property
    def cycle_number(self) -> int: ...


def uncovered_session_ids(sessions: Iterable[SessionOnDay]) -> set[int]:
    """The schedule's sessions still to run that no approval covers (the "not covered" badge).

    Two queries however many sessions: the orders' plans frozen at signing, and the approvals;
    coverage is computed once per order. An order without a frozen plan (never signed) gets no
    badge here; the session page and the start still judge it in full.
    """
    zone = timezone.get_current_timezone()  # each session's local day worked out once
    live = {
        session.pk: (session, session.planned_start.astimezone(zone).date())
        for session in sessions
        if session.status in ACTIVE_STATUSES
    }
    if not live:
        return set()
    # Of each plan only its cycles and vials (what coverage reads), not the whole JSON.
    plans = {
        row["pk"]: row
        for row in Order.objects.filter(pk__in={s.order_id for s, _ in live.values()}).values(
            "pk",
            "lineage_id",
            "urgent",
            plan_cycles=F("plan_at_signing__cycles"),
            plan_vials=F("plan_at_signing__vials"),
        )
    }
    approvals = recent_approvals(
        min(day for _, day in live.values()),
        lineages={row["lineage_id"] or order_id for order_id, row in plans.items()},
    )
    coverage: dict[int, Any] = {}
    for order_id, row in plans.items():
        cycles = planned_cycles_from_plan(
            {"cycles": row["plan_cycles"], "vials": row["plan_vials"]}
        )
        if cycles is not None:
            coverage[order_id] = cover_cycles(
                cycles, approvals.get(row["lineage_id"] or order_id, [])
            )
    return {
        pk
        for pk, (session, day) in live.items()
        if session.order_id in coverage
        and not urgent_first_cycle(plans[session.order_id]["urgent"], session.cycle_number)
        and coverage_blocker(coverage[session.order_id], day, session.cycle_number)
    }
