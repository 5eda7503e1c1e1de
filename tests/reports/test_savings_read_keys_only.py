"""The stewardship savings read of each stored plan only the keys they need, per order (not the
whole plan JSON per session group): the figures equal a recomputation from the whole plans of
every session counted in the period."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports import rollup, stewardship


@pytest.mark.django_db
def test_the_savings_equal_a_recomputation_from_every_sessions_whole_plan():
    call_command("seed_scale", patients=12, stdout=open("/dev/null", "w"))  # noqa: SIM115
    last = timezone.localdate() + timedelta(days=60)
    first = last - timedelta(days=3 * 365)
    weight, rounding = Decimal(0), Decimal(0)
    sessions = stewardship.sessions_in(first, last).select_related("order")
    for session in sessions:
        by_weight, by_rounding = stewardship.day_savings(session.order.plan_at_signing)
        weight += by_weight
        rounding += by_rounding
    assert sessions.count() > 50
    expected = stewardship.Savings(
        weight.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        rounding.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
    )
    got = rollup.savings(first, last)  # the days just seeded and changed: counted live
    assert got == expected
    assert got.by_vial_rounding_g != 0 or got.by_weight_rule_g != 0
    rollup.refresh_rollup(now=timezone.now() + rollup.REFRESH_MARGIN + timedelta(minutes=1))
    assert rollup.savings(first, last) == expected  # read from the roll-up alone
