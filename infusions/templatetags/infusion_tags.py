"""Template tags of the infusions app: a session's coverage, the panel of sessions no approval
covers (shown on the authorization admins' dashboard), and the order sheet's titration at the
clock times of the order's next session."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone

from infusions.administration.start_coverage import session_coverage_blocker
from infusions.booking.models import InfusionSession
from infusions.errors import InfusionError
from infusions.reactions.selectors import reaction_rate_cap
from infusions.schedule import uncovered_sessions
from infusions.schedule.selectors import next_session, session_plan_at_clock_times
from infusions.schedule.uncovered_sessions import sessions_not_covered_page
from ivig.audit.services import access_records
from orders.models import Order

register = template.Library()


@register.simple_tag
def session_blocker(session: InfusionSession) -> str | None:
    return session_coverage_blocker(session)


@register.inclusion_tag("infusions/_sessions_not_covered.html", takes_context=True)
def sessions_not_covered_panel(context: template.Context) -> dict[str, Any]:
    """The count and one page of the sessions no approval covers (``?uncovered_page=``,
    filtered as the page is by ``?q=``); its sessions join the page's read-log row (the page logs
    its reads)."""
    request = context["request"]
    uncovered = sessions_not_covered_page(
        timezone.localdate(),
        page=request.GET.get("uncovered_page"),
        query=request.GET.get("q", "")[:100],
    )
    access_records(request, [row.session for row in uncovered])
    return {"uncovered": uncovered, "request": request}


@register.simple_tag
def uncovered_session_ids(sessions: Iterable[InfusionSession]) -> set[int]:
    """``infusions.schedule.uncovered_sessions.uncovered_session_ids`` (the "not covered" badge)."""
    return uncovered_sessions.uncovered_session_ids(sessions)


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
