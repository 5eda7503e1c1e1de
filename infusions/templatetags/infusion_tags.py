"""Template tags of the infusions app: a session's coverage, the panel of sessions no approval
covers (shown on the authorization admins' dashboard), and the order sheet's titration at the
clock times of the order's next session."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone

from authorizations.coverage import cover_cycles, coverage_blocker, planned_cycles_from_plan
from authorizations.selectors import recent_approvals
from infusions.coverage import session_coverage_blocker
from infusions.errors import InfusionError
from infusions.models import ACTIVE_STATUSES, InfusionSession
from infusions.reactions import reaction_rate_cap
from infusions.selectors import next_session, session_plan_at_clock_times, sessions_not_covered
from orders.models import Order

register = template.Library()


@register.simple_tag
def session_blocker(session: InfusionSession) -> str | None:
    return session_coverage_blocker(session)


@register.inclusion_tag("infusions/_sessions_not_covered.html")
def sessions_not_covered_panel() -> dict[str, Any]:
    return {"uncovered": sessions_not_covered(timezone.localdate())}


@register.simple_tag
def uncovered_session_ids(sessions: Iterable[InfusionSession]) -> set[int]:
    """The schedule's sessions still to run that no approval covers (the "not covered" badge).

    Two queries however many sessions: the orders' plans frozen at signing, and the approvals;
    coverage is computed once per order. An order without a frozen plan (never signed) gets no
    badge here; the session page and the start still judge it in full.
    """
    live = [session for session in sessions if session.status in ACTIVE_STATUSES]
    if not live:
        return set()
    plans = {
        row["pk"]: row
        for row in Order.objects.filter(pk__in={s.order_id for s in live}).values(
            "pk", "lineage_id", "plan_at_signing"
        )
    }
    approvals = recent_approvals(min(timezone.localdate(s.planned_start) for s in live))
    coverage: dict[int, Any] = {}
    for order_id, row in plans.items():
        cycles = planned_cycles_from_plan(row["plan_at_signing"])
        if cycles is not None:
            coverage[order_id] = cover_cycles(
                cycles, approvals.get(row["lineage_id"] or order_id, [])
            )
    return {
        session.pk
        for session in live
        if session.order_id in coverage
        and coverage_blocker(
            coverage[session.order_id],
            timezone.localdate(session.planned_start),
            session.cycle_number,
        )
    }


@register.inclusion_tag("infusions/_sheet_titration.html")
def sheet_titration(order: Order, plan: Any) -> dict[str, Any]:
    """The order sheet's titration and vital signs (docs/clinical-rules.md 3.4, 3.5): at clock
    times from the planned start of the order's next session, as its session page shows them
    (``session_plan_at_clock_times``, capped by any reaction plan), or, with no session booked,
    in minutes from the start of ``plan``, the order's plan."""
    session = next_session(order)
    clock = None
    if session is not None:
        try:
            clock = session_plan_at_clock_times(session)
        except InfusionError:
            clock = None
    return {
        "plan": plan,
        "session": session if clock is not None else None,
        "clock": clock,
        "rate_cap": reaction_rate_cap(session) if clock is not None and session else None,
    }
