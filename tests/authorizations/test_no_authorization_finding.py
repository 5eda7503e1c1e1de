"""NO_AUTHORIZATION (docs/clinical-rules.md 3.8): a warning on the order while approvals do not
cover it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.plans import order_plan

from .factories import approved, make_order

pytestmark = pytest.mark.django_db


def codes(order):
    today = timezone.localdate()
    return [f.code for f in order_plan(order, as_of=today).findings]


def test_an_order_without_approval_warns_no_authorization():
    order = make_order(start_date=timezone.localdate() + timedelta(days=10), cycles=2)
    assert "NO_AUTHORIZATION" in codes(order)


def test_an_approval_covering_every_cycle_silences_it():
    start = timezone.localdate() + timedelta(days=10)
    order = make_order(start_date=start, cycles=2, interval=21)
    # 2 cycles x 2 days x 40 g = 160 g, all within the dates.
    approved(order, valid_from=start, valid_to=start + timedelta(days=60), cycles=2, grams=160)
    assert "NO_AUTHORIZATION" not in codes(order)


def test_an_approval_one_cycle_short_still_warns():
    start = timezone.localdate() + timedelta(days=10)
    order = make_order(start_date=start, cycles=2, interval=21)
    approved(order, valid_from=start, valid_to=start + timedelta(days=60), cycles=1, grams=160)
    assert "NO_AUTHORIZATION" in codes(order)


def test_the_plan_without_the_check_never_judges_it():
    order = make_order(start_date=timezone.localdate() + timedelta(days=10))
    findings = order_plan(order, as_of=timezone.localdate(), coverage=False).findings
    assert "NO_AUTHORIZATION" not in [f.code for f in findings]
