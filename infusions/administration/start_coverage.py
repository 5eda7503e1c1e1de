"""Whether an infusion session may start as far as insurance is concerned (docs/clinical-rules.md
7 and 3.8 ``NO_AUTHORIZATION``): a session may be booked without an approval but not started."""

from django.utils import timezone

from authorizations.coverage_rules import (
    CycleCoverage,
    coverage_blocker,
    order_coverage,
)
from infusions.booking.models import InfusionSession
from orders.dose_plans.per_request import once_per_request
from orders.models import Order


def urgent_first_cycle(urgent: bool, cycle_number: int | None) -> bool:
    """docs/clinical-rules.md 3.10 (rules v3): an urgent order's first cycle starts without a prior
    approval (a retrospective authorization is due); later cycles need one as usual."""
    return urgent and cycle_number == 1


def order_coverage_once(order: Order) -> list[CycleCoverage]:
    """``order_coverage`` of this version of ``order``, once per request that only reads (the
    session page asks it for the plan, the start's blockers and the coverage panel)."""
    return once_per_request(
        ("order coverage", order.pk, order.version, order.status), lambda: order_coverage(order)
    )


def session_coverage_blocker(session: InfusionSession) -> str | None:
    """The message that refuses the start of ``session``, or None when an approval covers it
    (or it is an urgent order's first cycle)."""
    if urgent_first_cycle(session.order.urgent, session.cycle_number):
        return None
    return coverage_blocker(
        order_coverage_once(session.order),
        timezone.localdate(session.planned_start),
        session.cycle_number,
    )


def is_covered_by_approval(session: InfusionSession) -> bool:
    """An approval covers ``session`` (the urgent first-cycle exemption left aside)."""
    return (
        coverage_blocker(
            order_coverage_once(session.order),
            timezone.localdate(session.planned_start),
            session.cycle_number,
        )
        is None
    )


def session_is_covered(session: InfusionSession) -> bool:
    return session_coverage_blocker(session) is None
