"""Template tags of the infusions app: a session's coverage, and the panel of sessions no
approval covers (shown on the authorization admins' dashboard)."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone

from infusions import coverage
from infusions.coverage import session_coverage_blocker
from infusions.models import InfusionSession
from infusions.selectors import sessions_not_covered

register = template.Library()


@register.simple_tag
def session_blocker(session: InfusionSession) -> str | None:
    return session_coverage_blocker(session)


@register.inclusion_tag("infusions/_sessions_not_covered.html")
def sessions_not_covered_panel() -> dict[str, Any]:
    return {"uncovered": sessions_not_covered(timezone.localdate())}


@register.simple_tag
def uncovered_session_ids(sessions: Iterable[InfusionSession]) -> set[int]:
    """``infusions.coverage.uncovered_session_ids`` (the "not covered" badge)."""
    return coverage.uncovered_session_ids(sessions)
