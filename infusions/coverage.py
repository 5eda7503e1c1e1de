"""Whether an infusion session may start as far as insurance is concerned (docs/clinical-rules.md
7 and 3.8 ``NO_AUTHORIZATION``): a session may be booked without an approval but not started."""

from django.utils import timezone

from authorizations.coverage import coverage_blocker, order_coverage

from .models import InfusionSession


def session_coverage_blocker(session: InfusionSession) -> str | None:
    """The message that refuses the start of ``session``, or None when an approval covers it."""
    return coverage_blocker(
        order_coverage(session.order),
        timezone.localdate(session.planned_start),
        session.cycle_number,
    )


def session_is_covered(session: InfusionSession) -> bool:
    return session_coverage_blocker(session) is None
