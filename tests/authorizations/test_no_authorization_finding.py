"""NO_AUTHORIZATION (docs/clinical-rules.md 3.8): a warning on the order while approvals do not
cover it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from authorizations import coverage_rules
from ivig.engine import dose_plan_to_json
from orders import ports
from orders.dose_plans.plan_accessor import order_plan
from orders.models import Order, OrderStatus
from tests.orders.factories import worked_example_patient

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


def judge_recording(monkeypatch):
    """Answer the coverage port with a judge that records the plan it is handed."""
    handed: list[object] = []

    def judge(orders):
        handed.extend(plan for _order, plan in orders)
        return {order.pk: True for order, _plan in orders}

    monkeypatch.setattr(ports._coverage_judge, "answer", judge)
    return handed


def test_a_draft_is_judged_on_the_grams_of_the_plan_being_computed(monkeypatch, clinician):
    """The judge is handed the plan frozen at signing, or for a draft the plan being computed:
    coverage never plans the order again (no round trip through the plan accessor)."""
    start = timezone.localdate() + timedelta(days=10)
    order = make_order(
        start_date=start,
        cycles=2,
        interval=21,
        status=OrderStatus.DRAFT,
        patient=worked_example_patient(clinician),
    )
    Order.objects.filter(pk=order.pk).update(plan_at_signing=None)
    order.refresh_from_db()
    # No frozen plan: the grams are the draft's own plan's, which an approval can cover.
    assert "NO_AUTHORIZATION" in codes(order)
    approved(order, valid_from=start, valid_to=start + timedelta(days=60), cycles=2, grams=10_000)
    assert "NO_AUTHORIZATION" not in codes(order)
    handed = judge_recording(monkeypatch)
    plan = dose_plan_to_json(order_plan(order, as_of=timezone.localdate()).plan)
    # The same plan, but for its findings (judged before coverage is known).
    assert len(handed) == 1
    assert {**handed[0], "findings": None} == {**plan, "findings": None}


def test_a_signed_order_is_judged_on_its_frozen_plan(monkeypatch):
    order = make_order(start_date=timezone.localdate() + timedelta(days=10))
    handed = judge_recording(monkeypatch)
    order_plan(order, as_of=timezone.localdate())
    assert handed == [order.plan_at_signing]


def test_coverage_never_calls_the_plan_accessor():
    assert not hasattr(coverage_rules, "order_plan")
