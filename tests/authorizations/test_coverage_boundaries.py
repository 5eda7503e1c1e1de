"""Coverage's pure rules at their edges (docs/clinical-rules.md 7, 3.8 NO_AUTHORIZATION), without a
database: which cycle a session belongs to, why a session may not start (the approval's last day
is still covered, the day after is not), and an approval row as coverage reads it (an early
expiry ends its dates; the label is payer and reference, else payer and #id).

Written for the survivors of the services mutation run (docs/mutation-testing.md); they test
behaviour through the public functions, not how coverage is computed or cached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from authorizations.coverage_rules import (
    CycleCoverage,
    PlannedCycle,
    _approval,
    cover_cycles,
    coverage_blocker,
    cycle_for_session,
    renewal_flags,
)
from authorizations.models import AuthorizationStatus

CYCLE_1 = CycleCoverage(
    number=1,
    days=(date(2027, 3, 1), date(2027, 3, 2)),
    grams=Decimal(80),
    authorization_id=5,
    authorization_label="Acme Health PA-1",
    valid_from=date(2027, 2, 20),
    valid_to=date(2027, 3, 2),
)
CYCLE_2 = CycleCoverage(
    number=2,
    days=(date(2027, 3, 22), date(2027, 3, 23)),
    grams=Decimal(80),
    reason="the approved cycles are used up",
)
COVERAGE = (CYCLE_1, CYCLE_2)


def test_a_session_belongs_to_its_numbered_cycle_else_to_the_cycle_of_its_day() -> None:
    assert cycle_for_session(COVERAGE, date(2027, 3, 1), 2) == CYCLE_2
    assert cycle_for_session(COVERAGE, date(2027, 3, 22)) == CYCLE_2
    assert cycle_for_session(COVERAGE, date(2027, 3, 2)) == CYCLE_1


def test_a_session_of_no_planned_cycle_belongs_to_none() -> None:
    assert cycle_for_session(COVERAGE, date(2027, 3, 1), 3) is None
    assert cycle_for_session(COVERAGE, date(2027, 3, 10)) is None


def test_a_covered_session_may_start_up_to_the_approvals_last_day() -> None:
    assert coverage_blocker(COVERAGE, date(2027, 3, 1)) is None
    assert coverage_blocker(COVERAGE, date(2027, 3, 2)) is None  # valid_to itself
    assert coverage_blocker(COVERAGE, date(2027, 3, 2), 1) is None


def test_a_session_after_the_approvals_dates_is_refused_with_them() -> None:
    # Moved to 3 March but still cycle 1: the approval ends on 2 March.
    assert coverage_blocker(COVERAGE, date(2027, 3, 3), 1) == (
        "No authorization covers this session: 2027-03-03 is outside Acme Health PA-1's dates "
        "(2027-02-20 to 2027-03-02)."
    )
    assert coverage_blocker(COVERAGE, date(2027, 2, 19), 1) is not None
    assert coverage_blocker(COVERAGE, date(2027, 2, 20), 1) is None


def test_an_uncovered_cycle_says_why() -> None:
    assert coverage_blocker(COVERAGE, date(2027, 3, 22)) == (
        "No authorization covers cycle 2: the approved cycles are used up."
    )


def test_a_day_of_no_cycle_says_so() -> None:
    assert coverage_blocker(COVERAGE, date(2027, 3, 10)) == (
        "No authorization covers this session: 2027-03-10 is not a day of the order's planned "
        "cycles."
    )


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 12,
        "payer": "Acme Health",
        "reference_number": "PA-1",
        "status": AuthorizationStatus.APPROVED,
        "valid_from": date(2027, 1, 1),
        "valid_to": date(2027, 6, 30),
        "approved_cycles": 6,
        "approved_grams": Decimal(900),
        "expired_at": None,
        "order_id": 3,
        "order__lineage_id": None,
    }
    return {**base, **overrides}


def test_an_approval_row_as_coverage_reads_it() -> None:
    approval = _approval(row())
    assert (approval.id, approval.label, approval.status) == (12, "Acme Health PA-1", "approved")
    assert (approval.valid_from, approval.valid_to) == (date(2027, 1, 1), date(2027, 6, 30))
    assert (approval.approved_cycles, approval.approved_grams) == (6, Decimal(900))


def test_an_approval_without_a_reference_is_labelled_by_its_id() -> None:
    assert _approval(row(reference_number="")).label == "Acme Health #12"


def test_an_early_expiry_ends_the_dates_on_its_day_only_for_an_expired_approval() -> None:
    expired_at = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    expired = _approval(row(status=AuthorizationStatus.EXPIRED, expired_at=expired_at))
    assert (expired.status, expired.valid_to) == ("expired", date(2027, 3, 15))
    # Expired after its end date: the end date stands.
    late = datetime(2027, 8, 1, 12, 0, tzinfo=UTC)
    assert _approval(row(status=AuthorizationStatus.EXPIRED, expired_at=late)).valid_to == date(
        2027, 6, 30
    )
    # An approval (re-approved, say) keeps its own dates whatever the stamp says.
    assert _approval(row(expired_at=expired_at)).valid_to == date(2027, 6, 30)


def test_a_cycle_over_the_approved_grams_says_how_many_grams_are_used() -> None:
    # Three 80 g cycles, 230 g approved: cycles 1 and 2 use 160 g; cycle 3's 80 g would exceed.
    approval = _approval(row(approved_grams=Decimal(230)))
    cycles = [
        PlannedCycle(number=n, days=(day, day + timedelta(days=1)), grams=Decimal(80))
        for n, day in enumerate((date(2027, 3, 1), date(2027, 3, 22), date(2027, 4, 12)), 1)
    ]
    coverage = cover_cycles(cycles, [approval])
    assert [cycle.covered for cycle in coverage] == [True, True, False]
    assert coverage[2].reason == (
        "80 g more would exceed Acme Health PA-1's 230 approved g (160 g used)"
    )
    assert coverage[2].grams == Decimal(80)  # the cycle not covered still shows its grams


def test_a_cycle_no_approval_has_room_for_gives_each_approvals_reason() -> None:
    """Two approvals, neither with room for a 300 g cycle: both reasons, one after the other."""
    cycle = PlannedCycle(number=1, days=(date(2027, 3, 1), date(2027, 3, 2)), grams=Decimal(300))
    first = _approval(row(approved_grams=Decimal(230)))
    second = _approval(row(id=13, reference_number="PA-2", approved_grams=Decimal(250)))
    (coverage,) = cover_cycles([cycle], [first, second])
    assert coverage.reason == (
        "300 g more would exceed Acme Health PA-1's 230 approved g (0 g used); "
        "300 g more would exceed Acme Health PA-2's 250 approved g (0 g used)"
    )


def test_a_cycle_without_grams_is_not_covered_and_says_why() -> None:
    """A plan that gives a cycle no grams (no vials to count) has nothing to hold against an
    approval: not covered, with the reason in words."""
    cycle = PlannedCycle(number=1, days=(date(2027, 3, 1), date(2027, 3, 2)), grams=None)
    (coverage,) = cover_cycles([cycle], [_approval(row())])
    assert not coverage.covered
    assert coverage.reason == "the plan gives no grams to count against an approval"


# --- running out (docs/clinical-rules.md 8): renewal_flags at its edges ----------------------

TODAY = date(2027, 3, 22)


def approval_until(valid_to: date, approved_cycles: int = 6) -> Any:
    return _approval(row(valid_to=valid_to, approved_cycles=approved_cycles))


def cycle_on(number: int, first_day: date, authorization_id: int | None = 12) -> CycleCoverage:
    return CycleCoverage(
        number=number,
        days=(first_day, first_day + timedelta(days=1)),
        grams=Decimal(80),
        authorization_id=authorization_id,
    )


def test_a_cycle_uses_its_own_approval_once_it_has_started_even_today() -> None:
    coverage = [
        cycle_on(1, date(2027, 2, 1), authorization_id=99),  # another approval's
        cycle_on(2, date(2027, 3, 1)),  # started: used
        cycle_on(3, TODAY),  # starts today: used, and not left
        cycle_on(4, TODAY + timedelta(days=1)),  # tomorrow: left, not used
        cycle_on(5, date(2027, 5, 1), authorization_id=None),  # not covered, left
    ]
    flags = renewal_flags(approval_until(date(2027, 12, 31)), coverage, TODAY)
    # 284 days to expiry; 6 approved, 2 used: 4 left; the order has 2 cycles left.
    assert flags == (284, 4, 2, False, False)


def test_an_approval_expires_within_30_days_from_today_to_the_30th_day() -> None:
    def expiring(valid_to: date) -> tuple[int, bool]:
        days, _, _, flag, _ = renewal_flags(approval_until(valid_to), [], TODAY)
        return days, flag

    assert expiring(TODAY - timedelta(days=1)) == (-1, False)  # expired: not "expiring"
    assert expiring(TODAY) == (0, True)
    assert expiring(TODAY + timedelta(days=30)) == (30, True)
    assert expiring(TODAY + timedelta(days=31)) == (31, False)


@pytest.mark.parametrize(
    ("approved_cycles", "cycles_after_today", "low"),
    [
        (1, 2, True),  # one cycle left, two to give
        (1, 1, False),  # one left, exactly what the order needs
        (2, 3, False),  # two left is not low, however many the order needs
        (0, 1, True),  # none left
        (0, 0, False),  # none left, none needed
    ],
)
def test_cycles_run_low_at_one_left_while_the_order_has_more(
    approved_cycles: int, cycles_after_today: int, low: bool
) -> None:
    coverage = [
        cycle_on(n, TODAY + timedelta(days=21 * n), authorization_id=None)
        for n in range(1, cycles_after_today + 1)
    ]
    approval = approval_until(date(2027, 12, 31), approved_cycles=approved_cycles)
    flags = renewal_flags(approval, coverage, TODAY)
    assert flags[1:3] == (approved_cycles, cycles_after_today)
    assert flags[4] is low
