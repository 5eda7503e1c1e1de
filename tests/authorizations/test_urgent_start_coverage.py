"""An urgent order's first cycle starts without an approval; its later cycles, and a non-urgent
order's first, need one (docs/clinical-rules.md 3.10, rules v3; 3.8 NO_AUTHORIZATION).

Written for the survivors of the services mutation run (docs/mutation-testing.md).
"""

from datetime import date

import pytest

from infusions.administration.start_coverage import (
    session_coverage_blocker,
    session_is_covered,
    urgent_first_cycle,
)

from .factories import make_order, session

pytestmark = pytest.mark.django_db

START = date(2027, 3, 1)  # cycles of 2 days, 21 days apart: 1-2 March, 22-23 March, 12-13 April


def test_only_an_urgent_orders_first_cycle_is_exempt() -> None:
    assert urgent_first_cycle(True, 1)
    assert not urgent_first_cycle(True, 2)
    assert not urgent_first_cycle(False, 1)
    assert not urgent_first_cycle(True, None)


def test_an_urgent_first_cycle_session_starts_without_an_approval(clinician) -> None:
    order = make_order(
        start_date=START, by=clinician, urgent=True, urgent_reason="toxic epidermal necrolysis"
    )
    assert session_coverage_blocker(session(order, 1, 1, START)) is None
    assert session_is_covered(session(order, 1, 2, date(2027, 3, 2)))
    later = session(order, 2, 1, date(2027, 3, 22))
    assert session_coverage_blocker(later) == (
        "No authorization covers cycle 2: no approved authorization."
    )


def test_a_non_urgent_first_cycle_session_needs_an_approval(clinician) -> None:
    order = make_order(start_date=START, by=clinician)
    blocker = session_coverage_blocker(session(order, 1, 1, START))
    assert blocker is not None and blocker.startswith("No authorization covers cycle 1")
