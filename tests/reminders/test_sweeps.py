"""docs/clinical-rules.md 8: each reminder rule firing and not firing at its boundary, once per
subject and due date, to the right role, in a fixed number of queries."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from authorizations.models import AuthorizationStatus
from ivig.notifications.models import Kind, Notification
from orders.models import OrderStatus
from reminders.sweeps import authorization_follow_ups, cycle_reminders
from tests.authorizations.factories import (
    AuthorizationFactory,
    approved,
    at,
    make_order,
    session,
)

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def staff(nurse, authadmin, clinician):
    for user, address in ((nurse, "nurse@x.test"), (authadmin, "auth@x.test")):
        user.email = address
        user.save()
    return nurse, authadmin, clinician


def kinds(user=None):
    notifications = Notification.objects.all()
    if user is not None:
        notifications = notifications.filter(recipient=user)
    return sorted(notifications.values_list("kind", flat=True))


def covering(order, **overrides):
    values: dict[str, Any] = {
        "valid_from": TODAY - timedelta(days=60),
        "valid_to": TODAY + timedelta(days=200),
        "cycles": 10,
        "grams": 10000,
    }
    values.update(overrides)
    return approved(order, **values)


# --- cycle reminders ----------------------------------------------------------------------


@pytest.mark.parametrize(("days_ahead", "fires"), [(0, True), (7, True), (8, False)])
def test_cycle_within_7_days_not_booked_reminds_nurses(nurse, clinician, days_ahead, fires):
    order = make_order(start_date=TODAY + timedelta(days=days_ahead), by=clinician)
    covering(order)
    counts = cycle_reminders(TODAY)
    assert (kinds(nurse) == [Kind.CYCLE_NOT_BOOKED]) is fires
    assert counts["cycles_not_booked"] == int(fires)
    if fires:
        notification = Notification.objects.get(recipient=nurse)
        assert notification.due_date == order.start_date
        assert notification.subject_id == order.pk
        assert "2 of 2 sessions not booked" in notification.title


def test_a_fully_booked_cycle_needs_no_reminder(nurse, clinician):
    order = make_order(start_date=TODAY + timedelta(days=3), by=clinician)
    covering(order)
    session(order, 1, 1, order.start_date)
    session(order, 1, 2, order.start_date + timedelta(days=1))
    cycle_reminders(TODAY)
    assert kinds(nurse) == []


def test_a_tentative_day_is_not_booked(nurse, clinician):
    order = make_order(start_date=TODAY + timedelta(days=3), by=clinician)
    covering(order)
    session(order, 1, 1, order.start_date)
    session(order, 1, 2, order.start_date + timedelta(days=1), status="tentative")
    cycle_reminders(TODAY)
    assert "1 of 2 sessions not booked" in Notification.objects.get(recipient=nurse).title


def test_orders_not_yet_verified_or_finished_are_not_reminded(nurse, clinician):
    for status in (OrderStatus.SIGNED, OrderStatus.DISCONTINUED, OrderStatus.SUPERSEDED):
        make_order(start_date=TODAY + timedelta(days=3), by=clinician, status=status)
    cycle_reminders(TODAY)
    assert kinds() == []


def test_last_cycle_completed_means_reassessment_for_the_ordering_clinician(clinician, nurse):
    start = TODAY - timedelta(days=50)  # cycles 1 (day -50), 2 (-29), 3 (-8)
    order = make_order(start_date=start, by=clinician, status=OrderStatus.ACTIVE)
    covering(order, valid_from=start)
    last = start + timedelta(days=42)
    session(order, 3, 1, last, status="completed")
    session(order, 3, 2, last + timedelta(days=1), status="missed")
    counts = cycle_reminders(TODAY)
    assert counts["reassessments_due"] == 1
    notice = Notification.objects.get(recipient=clinician)
    assert notice.kind == Kind.REASSESSMENT_DUE
    assert notice.due_date == last + timedelta(days=1)
    assert kinds(nurse) == []


def test_last_cycle_still_booked_is_no_reassessment(clinician):
    start = TODAY - timedelta(days=43)  # cycle 3 on day -1 and today
    order = make_order(start_date=start, by=clinician, status=OrderStatus.ACTIVE)
    covering(order, valid_from=start)
    session(order, 3, 1, start + timedelta(days=42), status="completed")
    session(order, 3, 2, TODAY, status="booked")
    cycle_reminders(TODAY)
    assert kinds(clinician) == []


def test_a_completed_order_is_due_for_reassessment(clinician):
    make_order(
        start_date=TODAY - timedelta(days=60),
        by=clinician,
        status=OrderStatus.COMPLETED,
        completed_at=at(TODAY - timedelta(days=1)),
    )
    cycle_reminders(TODAY)
    assert kinds(clinician) == [Kind.REASSESSMENT_DUE]


def test_sessions_without_authorization_notify_authorization_admins(authadmin, nurse, clinician):
    order = make_order(start_date=TODAY + timedelta(days=10), by=clinician)
    session(order, 1, 1, order.start_date, status="tentative")
    session(order, 1, 2, order.start_date + timedelta(days=1))
    counts = cycle_reminders(TODAY)
    assert counts["orders_with_uncovered_sessions"] == 1
    notice = Notification.objects.get(recipient=authadmin)
    assert notice.kind == Kind.SESSION_NOT_COVERED
    assert notice.due_date == order.start_date
    assert "2 scheduled sessions without authorization" in notice.title


def test_covered_sessions_notify_nobody(authadmin, clinician):
    order = make_order(start_date=TODAY + timedelta(days=10), by=clinician)
    covering(order)
    session(order, 1, 1, order.start_date)
    cycle_reminders(TODAY)
    assert kinds(authadmin) == []


# --- authorization follow-ups -------------------------------------------------------------


def _submitted(order, days_ago, status=AuthorizationStatus.SUBMITTED):
    moment = at(TODAY - timedelta(days=days_ago))
    fields: dict[str, Any] = {"submitted_at": moment}
    if status == AuthorizationStatus.APPEALED:
        fields.update(
            appealed_at=moment, submitted_at=moment - timedelta(days=30), decision_date=TODAY
        )
    return AuthorizationFactory.create(order=order, status=status, **fields)


@pytest.mark.parametrize(("days_ago", "fires"), [(4, False), (5, True), (12, True)])
def test_no_decision_for_5_days(authadmin, clinician, days_ago, fires):
    order = make_order(start_date=TODAY + timedelta(days=20), by=clinician)
    authorization = _submitted(order, days_ago)
    counts = authorization_follow_ups(TODAY)
    assert counts["awaiting_decision"] == int(fires)
    assert (kinds(authadmin) == [Kind.AUTHORIZATION_NO_DECISION]) is fires
    if fires:
        notice = Notification.objects.get(recipient=authadmin)
        assert notice.subject_id == authorization.pk
        assert notice.due_date == TODAY - timedelta(days=days_ago - 5)


def test_an_appeal_without_decision_for_5_days(authadmin, clinician):
    order = make_order(start_date=TODAY + timedelta(days=20), by=clinician)
    _submitted(order, 5, AuthorizationStatus.APPEALED)
    authorization_follow_ups(TODAY)
    assert kinds(authadmin) == [Kind.AUTHORIZATION_NO_DECISION]


@pytest.mark.parametrize(("days_left", "fires"), [(0, True), (30, True), (31, False)])
def test_approval_expiring_within_30_days(authadmin, clinician, days_left, fires):
    order = make_order(start_date=TODAY + timedelta(days=3), cycles=1, by=clinician)
    authorization = covering(order, valid_to=TODAY + timedelta(days=days_left))
    counts = authorization_follow_ups(TODAY)
    assert counts["expiring"] == int(fires)
    assert (kinds(authadmin) == [Kind.AUTHORIZATION_EXPIRING]) is fires
    if fires:
        assert Notification.objects.get(recipient=authadmin).due_date == authorization.valid_to


@pytest.mark.parametrize(
    ("approved_cycles", "order_cycles", "fires"),
    [(1, 3, True), (2, 3, False), (1, 1, False), (3, 3, False)],
)
def test_one_approved_cycle_left_while_the_order_has_more(
    authadmin, clinician, approved_cycles, order_cycles, fires
):
    order = make_order(start_date=TODAY + timedelta(days=3), cycles=order_cycles, by=clinician)
    covering(order, cycles=approved_cycles)
    counts = authorization_follow_ups(TODAY)
    assert counts["cycles_low"] == int(fires)
    assert (kinds(authadmin) == [Kind.AUTHORIZATION_CYCLES_LOW]) is fires


def test_cycles_left_count_started_cycles_as_used(authadmin, clinician):
    # Three cycles, the first two started: an approval of 3 has one left for the one to come.
    order = make_order(start_date=TODAY - timedelta(days=21), cycles=4, by=clinician)
    covering(order, cycles=3)
    authorization_follow_ups(TODAY)
    notice = Notification.objects.get(recipient=authadmin)
    assert notice.kind == Kind.AUTHORIZATION_CYCLES_LOW
    assert "1 approved cycle left, 2 to give" in notice.title


def test_approvals_past_valid_to_expire_and_the_clinician_hears(
    authadmin, clinician, django_capture_on_commit_callbacks
):
    order = make_order(start_date=TODAY - timedelta(days=40), by=clinician)
    authorization = covering(order, valid_to=TODAY - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        counts = authorization_follow_ups(TODAY)
    assert counts["expired"] == 1
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.EXPIRED
    assert kinds(clinician) == [Kind.AUTHORIZATION_EXPIRED]


# --- once only ----------------------------------------------------------------------------


def _everything_due(clinician):
    soon = make_order(start_date=TODAY + timedelta(days=2), by=clinician)
    session(soon, 1, 1, soon.start_date)
    _submitted(make_order(start_date=TODAY + timedelta(days=30), by=clinician), 6)
    covering(
        make_order(start_date=TODAY + timedelta(days=3), by=clinician),
        cycles=1,
        valid_to=TODAY + timedelta(days=10),
    )


def test_running_the_sweeps_twice_notifies_and_emails_once(
    clinician, django_capture_on_commit_callbacks
):
    _everything_due(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        first = cycle_reminders(TODAY)["notifications"]
        first += authorization_follow_ups(TODAY)["notifications"]
    made = Notification.objects.count()
    assert first == made >= 5
    assert len(mail.outbox) == made
    with django_capture_on_commit_callbacks(execute=True):
        again = cycle_reminders(TODAY)["notifications"]
        again += authorization_follow_ups(TODAY)["notifications"]
    assert again == 0
    assert Notification.objects.count() == made
    assert len(mail.outbox) == made
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_sweep_runs_in_a_fixed_number_of_queries(clinician, django_assert_max_num_queries):
    def orders(count):
        for index in range(count):
            order = make_order(start_date=TODAY + timedelta(days=index % 9), by=clinician)
            if index % 3 == 0:
                session(order, 1, 1, order.start_date)
            if index % 2 == 0:
                covering(order, cycles=1 + index % 3, valid_to=TODAY + timedelta(days=index))
            else:
                _submitted(order, index % 8)

    orders(5)
    with django_assert_max_num_queries(SWEEP_QUERY_BOUND) as small:
        cycle_reminders(TODAY)
        authorization_follow_ups(TODAY)
    orders(45)
    with django_assert_max_num_queries(SWEEP_QUERY_BOUND) as large:
        cycle_reminders(TODAY)
        authorization_follow_ups(TODAY)
    assert len(large.captured_queries) == len(small.captured_queries)


SWEEP_QUERY_BOUND = 40


def test_the_command_prints_counts(clinician, capsys):
    from django.core.management import call_command

    _everything_due(clinician)
    call_command("run_reminders", "--today", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "cycles: orders 3" in out
    assert "authorizations: expired 0, awaiting_decision 1" in out


def test_grams_in_reminders_use_the_frozen_plan(clinician, authadmin):
    order = make_order(start_date=TODAY + timedelta(days=3), cycles=3, by=clinician)
    # 240 g over three cycles; 160 g approved covers two, so one is left once one starts.
    covering(order, cycles=3, grams=Decimal(160))
    session(order, 1, 1, order.start_date)
    cycle_reminders(TODAY)
    assert Kind.SESSION_NOT_COVERED not in kinds(authadmin)
