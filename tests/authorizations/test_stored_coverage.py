"""Coverage stored per cycle (authorizations/stored_coverage.py) is the rule's answer, always:

- after every kind of change (an approval decided, edited, expired early, lapsed by the sweep,
  renewed; an order signed, rejected, a new version), the stored rows equal a rebuild from
  scratch and the rule's own ``order_coverage``;
- over many generated orders, approvals and sessions, and changes to both, the dashboard's
  "sessions not covered" (the kept gaps, and the SQL over stored coverage used before they are
  built) picks exactly the sessions the start's rule (``coverage_blocker``) refuses, with the
  same words, and "approvals running out", looked up from the stored days, lists on every
  day what the rule (``renewal_flags`` over every active order) flags.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from authorizations import services
from authorizations.coverage_rules import coverage_blocker, order_coverage
from authorizations.models import Authorization, OrderApproval, OrderCycleCoverage
from authorizations.selectors import renewals_due, renewals_page
from authorizations.stored_coverage import rebuild_coverage, stored_coverage
from infusions.models import SessionCoverageGap
from infusions.schedule.uncovered_sessions import (
    judged_page,
    rebuild_gaps,
    scheduled_from,
    sessions_not_covered_page,
    uncovered_by_stored_coverage,
)
from orders.models import Order, OrderStatus

from .factories import AuthorizationFactory, approved, make_order, plan_json, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


def _snapshot() -> tuple[set[tuple], set[tuple]]:
    cycles = set(
        OrderCycleCoverage.objects.values_list(
            "order_id",
            "cycle_number",
            "first_day",
            "last_day",
            "authorization_id",
            "authorization_label",
            "valid_from",
            "valid_to",
            "reason",
        )
    )
    pairs = set(
        OrderApproval.objects.values_list(
            "order_id",
            "authorization_id",
            "approved",
            "valid_to",
            "cycles_low_from",
            "cycles_low_to",
        )
    )
    return cycles, pairs


def _assert_stored_is_the_rule() -> None:
    """Stored rows equal a rebuild from scratch, and each order's stored cycles say what the
    rule says of it."""
    kept = _snapshot()
    for order in Order.objects.filter(plan_at_signing__isnull=False):
        rule = order_coverage(order)
        stored = stored_coverage([order.pk])[order.pk]
        assert [
            (c.number, c.first_day, c.last_day, c.authorization_id, c.valid_to, c.reason)
            for c in stored
        ] == [
            (c.number, c.first_day, c.last_day, c.authorization_id, c.valid_to, c.reason)
            for c in rule
        ]
    rebuild_coverage()
    assert _snapshot() == kept


def _approve(authorization, by, *, cycles: int, grams: int, days: tuple[int, int]) -> None:
    today = timezone.localdate()
    services.authorization_record_decision(
        authorization,
        by=by,
        approved=True,
        decision_date=today,
        approved_cycles=cycles,
        approved_grams=Decimal(grams),
        valid_from=today + timedelta(days=days[0]),
        valid_to=today + timedelta(days=days[1]),
    )


def test_stored_coverage_follows_every_kind_of_change(authadmin, clinician, today):
    order = make_order(start_date=today + timedelta(days=3), cycles=4, by=clinician)
    _assert_stored_is_the_rule()
    first = services.authorization_create(by=authadmin, order=order, payer="Acme", member_id="M")
    services.authorization_submit(first, by=authadmin, reference_number="PA-1")
    _approve(first, authadmin, cycles=2, grams=160, days=(0, 60))
    assert OrderCycleCoverage.objects.filter(authorization=first).count() == 2
    _assert_stored_is_the_rule()

    services.authorization_update(first, by=authadmin, version=None, reference_number="PA-1b")
    assert OrderCycleCoverage.objects.filter(authorization_label="Acme PA-1b").exists()
    _assert_stored_is_the_rule()

    second = services.authorization_renew(first, by=authadmin, reference_number="PA-2")
    services.authorization_submit(second, by=authadmin)
    _approve(second, authadmin, cycles=4, grams=320, days=(30, 120))
    _assert_stored_is_the_rule()

    # Expired early: it covers nothing after today.
    services.authorization_expire(first, by=authadmin, reason="withdrawn")
    _assert_stored_is_the_rule()

    # A new version of the order (same lineage) is covered by the lineage's approvals.
    version = make_order(
        start_date=today + timedelta(days=50), cycles=2, by=clinician, patient=order.patient
    )
    version.lineage = order
    version.revision = 2
    version.save()
    assert OrderApproval.objects.filter(order=version).count() == 2
    _assert_stored_is_the_rule()

    # Rejected (the plan is cleared), then signed again (a new plan frozen).
    version.plan_at_signing = None
    version.status = OrderStatus.DRAFT
    version.save()
    assert not OrderCycleCoverage.objects.filter(order=version).exists()
    _assert_stored_is_the_rule()
    version.plan_at_signing = plan_json(today + timedelta(days=60), 3, 2, 21, (("10", 4),))
    version.status = OrderStatus.SIGNED
    version.save()
    assert OrderCycleCoverage.objects.filter(order=version).count() == 3
    _assert_stored_is_the_rule()

    # The daily sweep lapses an approval by a bulk update.
    lapsed_order = make_order(start_date=today - timedelta(days=40), by=clinician)
    approved(
        lapsed_order,
        valid_from=today - timedelta(days=40),
        valid_to=today - timedelta(days=1),
        cycles=1,
        grams=80,
    )
    assert services.authorizations_expire_lapsed(today=today, by=authadmin) == 1
    _assert_stored_is_the_rule()


def _random_case(rng: random.Random, today: date, clinician) -> Order:
    """An order with 1 to 5 cycles, 0 to 3 approvals around them (some expired, some early),
    and a session for some of its days (some moved off it, some on cycles it does not have)."""
    cycles = rng.randint(1, 5)
    days = rng.randint(1, 3)
    interval = rng.choice((7, 14, 21))
    start = today + timedelta(days=rng.randint(0, 20))
    order = make_order(
        start_date=start,
        cycles=cycles,
        days_per_cycle=days,
        interval=interval,
        vials=(("10", rng.randint(1, 4)),),
        by=clinician,
    )
    for _ in range(rng.randint(0, 3)):
        valid_from = start + timedelta(days=rng.randint(-10, 60))
        approval = approved(
            order,
            valid_from=valid_from,
            valid_to=valid_from + timedelta(days=rng.randint(0, 80)),
            cycles=rng.randint(1, 4),
            grams=rng.choice((40, 80, 120, 160, 400)),
        )
        if rng.random() < 0.2:  # expired, maybe before its valid_to
            approval.status = "expired"
            approval.expired_at = timezone.now() + timedelta(days=rng.randint(-5, 40))
            approval.save()
    taken: set[date] = set()  # one session a patient a day
    for number in range(1, cycles + 2):
        for day in range(1, days + 1):
            moved = rng.choice((0, 0, 0, -3, 2, 9))  # most on their day, some moved
            planned = max(today, start + timedelta(days=(number - 1) * interval + day - 1 + moved))
            if rng.random() < 0.6 and planned not in taken:
                taken.add(planned)
                session(order, number, day, planned)
    return order


def _shown(page_of) -> tuple[dict[int, str], int]:
    """Every row of every page of the panel (``page_of(number)``), by session, and the count."""
    first = page_of(1)
    shown = {
        row.session.pk: row.blocker
        for number in first.paginator.page_range
        for row in page_of(number)
    }
    return shown, first.paginator.count


def _assert_panel_is_the_rule(today) -> None:
    """The kept gaps, the SQL over stored coverage and the start's rule name the same sessions
    with the same words."""
    scheduled = list(scheduled_from(today).select_related("order"))
    rule = {
        order_id: order_coverage(Order.objects.get(pk=order_id))
        for order_id in {s.order_id for s in scheduled}
    }
    expected = {
        s.pk: blocker
        for s in scheduled
        if (blocker := coverage_blocker(rule[s.order_id], s.planned_day, s.cycle_number))
    }
    assert 0 < len(expected) < len(scheduled)  # both kinds are generated
    uncovered = uncovered_by_stored_coverage(scheduled_from(today)).values_list("pk", flat=True)
    assert set(uncovered) == set(expected)
    assert _shown(lambda n: judged_page(today, page=n)) == (expected, len(expected))
    assert _shown(lambda n: sessions_not_covered_page(today, page=n)) == (expected, len(expected))
    kept = set(SessionCoverageGap.objects.values_list("session_id", "blocker"))
    rebuild_gaps()
    assert set(SessionCoverageGap.objects.values_list("session_id", "blocker")) == kept


def test_the_dashboard_and_the_start_rule_agree_over_many_cases(clinician, authadmin, today):
    rng = random.Random(21)
    orders = [_random_case(rng, today, clinician) for _ in range(80)]
    _assert_panel_is_the_rule(today)
    # Changes after the sessions were booked: approvals decided, expired early, edited; sessions
    # moved and cancelled.
    for order in rng.sample(orders, 20):
        approved(
            order,
            valid_from=order.start_date,
            valid_to=order.start_date + timedelta(days=rng.randint(10, 90)),
            cycles=rng.randint(1, 3),
            grams=rng.choice((80, 160, 240)),
        )
    for approval in rng.sample(list(Authorization.objects.filter(status="approved")), 15):
        if rng.random() < 0.5:
            services.authorization_expire(approval, by=authadmin, reason="withdrawn")
        else:
            services.authorization_update(
                approval, by=authadmin, version=None, reference_number="PA-EDITED"
            )
    for moved in rng.sample(list(scheduled_from(today)), 15):
        if rng.random() < 0.3:
            moved.status = "cancelled"
        else:
            moved.planned_start += timedelta(days=rng.choice((-30, 40, 60)))
            moved.planned_end += timedelta(days=rng.choice((-30, 40, 60)))
            moved.planned_end = max(moved.planned_end, moved.planned_start + timedelta(hours=1))
        try:
            with transaction.atomic():
                moved.save()
        except IntegrityError:
            pass  # the patient already has a session that day
    _assert_panel_is_the_rule(today)


def test_an_order_without_stored_coverage_is_judged_by_the_rule(clinician, today):
    order = make_order(start_date=today + timedelta(days=2), by=clinician)
    approved(order, valid_from=today, valid_to=today + timedelta(days=5), cycles=1, grams=80)
    covered = session(order, 1, 1, order.start_date)
    later = session(order, 2, 1, order.start_date + timedelta(days=21))
    OrderCycleCoverage.objects.all().delete()
    rows = list(sessions_not_covered_page(today))
    assert [row.session.pk for row in rows] == [later.pk]
    assert covered.pk not in {row.session.pk for row in rows}


def test_only_approvals_cover(clinician, today):
    order = make_order(start_date=today + timedelta(days=2), by=clinician)
    AuthorizationFactory.create(order=order, status="submitted", submitted_at=timezone.now())
    assert not Authorization.objects.filter(status="approved").exists()
    assert set(OrderCycleCoverage.objects.values_list("authorization_id", flat=True)) == {None}
    assert not OrderApproval.objects.exists()


def test_approvals_running_out_from_stored_days_equal_the_rule_on_every_day(clinician, today):
    rng = random.Random(8)
    for _ in range(40):
        _random_case(rng, today, clinician)
    seen_low = 0
    for offset in range(-3, 150, 4):
        day = today + timedelta(days=offset)
        expected = [
            (row.authorization.pk, row.order.pk, row.cycles_left, row.order_cycles_left)
            for row in renewals_due(day)
        ]
        first = renewals_page(day)
        shown = [
            (row.authorization.pk, row.order.pk, row.cycles_left, row.order_cycles_left)
            for number in first.paginator.page_range
            for row in renewals_page(day, page=number)
        ]
        assert shown == expected, day
        seen_low += sum(1 for row in renewals_due(day) if row.cycles_low and not row.expiring)
    assert seen_low > 0  # runs low on cycles, not only expiring
