"""The stored next cycle to book (``Order.next_cycle``, ``next_cycle_due``): every path that
changes an order's live sessions, or the order, keeps it equal to what the sessions say
(``selectors.next_cycle_from_sessions``, the correlated-subquery computation "Cycles to book"
ran before, kept as the oracle), and "Cycles to book" reads it."""

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infusions.administration.entries import Completed
from infusions.administration.services import administration_record, session_start
from infusions.booking import selectors
from infusions.booking import services as booking
from infusions.booking.session_plan import session_runnable_plan
from infusions.errors import InfusionError
from infusions.models import InfusionSession, SessionStatus
from orders import services
from orders.models import Order, OrderStatus
from tests.infusions.factories import ChairFactory, local, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


def assert_true_to_sessions() -> None:
    """Every order's stored next cycle and due day are what its sessions say."""
    assert selectors.stale_next_cycles() == []


def stored(order: Order) -> tuple[int | None, date | None]:
    order.refresh_from_db()
    return order.next_cycle, order.next_cycle_due


def due(order: Order, cycle: int) -> date:
    return order.start_date + timedelta(days=(cycle - 1) * order.cycle_interval_days)


def one_day_order(**values):
    """One day a cycle (a small dose: within the daily cap), 3 cycles 28 days apart (no
    response review due before any)."""
    return verified_order(days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"), cycles=3, **values)


@pytest.fixture
def chair():
    return ChairFactory.create(name="Chair 1")


@pytest.fixture
def order():
    return one_day_order(start_date=timezone.localdate() + timedelta(days=3))


def book(order: Order, cycle: int, nurse, *, tentative: bool = False) -> list[InfusionSession]:
    return booking.booking_confirm(
        order, cycle, booking.booking_propose(order, cycle), nurse, tentative=tentative
    )


def test_a_new_order_is_due_its_first_cycle_on_its_start_date(order) -> None:
    assert stored(order) == (1, order.start_date)
    assert_true_to_sessions()


def test_booking_cancelling_and_moving_keep_it_true(order, chair, nurse) -> None:
    first = book(order, 1, nurse)
    assert stored(order) == (2, due(order, 2))
    assert order.status == OrderStatus.ACTIVE
    book(order, 2, nurse, tentative=True)
    assert stored(order) == (3, due(order, 3))
    assert_true_to_sessions()
    # Moving a session keeps its cycle booked.
    moved_to = first[0].planned_start + timedelta(days=1)
    booking.session_move(first[0], chair=chair, start=moved_to, by=nurse, reason="Patient asked")
    assert stored(order) == (3, due(order, 3))
    # Cancelling cycle 1 makes it the next to book again, though cycle 2 is booked.
    booking.session_cancel(first[0], by=nurse, reason="Unwell")
    assert stored(order) == (1, order.start_date)
    assert_true_to_sessions()
    book(order, 1, nurse)
    book(order, 3, nurse)
    assert stored(order) == (None, None)  # every cycle booked: nothing due
    assert_true_to_sessions()


def test_confirming_starting_and_completing_keep_the_cycle_booked(chair, nurse) -> None:
    order = one_day_order(status=OrderStatus.ACTIVE)
    session = session_for(order, chair, yesterday_at("09:00"), by=nurse, minutes=120)
    assert stored(order) == (2, due(order, 2))
    session_start(session, by=nurse, at=yesterday_at("09:30"))
    # 90 minutes at the recorded first step: 20 mL/h under rules v3 (Privigen's label, 68.8 kg)
    # gives 30 mL, 3 g at 10 %: completed as a partial dose.
    first_rate = session_runnable_plan(session).titration[0].rate_ml_per_h  # type: ignore[index]
    volume_ml = Decimal(first_rate) * Decimal("1.5")
    completed = Completed(volume_ml=volume_ml, grams_given=volume_ml / 10)
    administration_record(session, completed, by=nurse, occurred_at=yesterday_at("11:00"))
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert stored(order) == (2, due(order, 2))
    assert_true_to_sessions()


def test_the_missed_sweep_makes_the_cycle_due_again(chair, nurse) -> None:
    order = one_day_order(status=OrderStatus.ACTIVE)
    session_for(order, chair, yesterday_at("09:00"), by=nurse, minutes=120)
    assert stored(order)[0] == 2
    assert booking.sessions_mark_missed() == 1
    assert stored(order) == (1, order.start_date)
    assert_true_to_sessions()


def test_discontinuing_completing_and_a_new_version(order, chair, nurse, clinician) -> None:
    book(order, 1, nurse)
    other = one_day_order(start_date=timezone.localdate() + timedelta(days=5))
    assert {o.pk for o in selectors.cycles_to_book(window_days=56)} == {order.pk, other.pk}
    order.refresh_from_db()
    services.order_discontinue(order, by=clinician, reason="Goal reached")
    # Its sessions cancelled: cycle 1 is free again on the row, but a discontinued order is
    # not to book.
    assert stored(order) == (1, order.start_date)
    assert {o.pk for o in selectors.cycles_to_book(window_days=56)} == {other.pk}
    # A new version of a verified order starts from its first cycle, on its own start date.
    later = other.start_date + timedelta(days=7)
    successor = services.order_update(other, by=clinician, version=other.version, start_date=later)
    assert successor.pk != other.pk
    assert stored(successor) == (1, later)
    services.order_complete(other, by=clinician)
    assert selectors.cycles_to_book(window_days=56).count() == 0
    assert_true_to_sessions()


def test_a_draft_edited_in_place_moves_its_due_day(clinician) -> None:
    draft = one_day_order(status=OrderStatus.DRAFT)
    later = draft.start_date + timedelta(days=10)
    services.order_update(draft, by=clinician, version=draft.version, start_date=later)
    assert stored(draft) == (1, later)
    assert_true_to_sessions()


def test_cycles_to_book_reads_the_stored_column_soonest_first(chair, nurse) -> None:
    today = timezone.localdate()
    soon = one_day_order(start_date=today + timedelta(days=2))
    later = one_day_order(start_date=today + timedelta(days=9))
    far = one_day_order(start_date=today + timedelta(days=40))
    overdue = one_day_order(start_date=today - timedelta(days=3))
    rows = selectors.orders_to_book(window_days=14)
    assert [(row.order.pk, row.next_cycle) for row in rows] == [
        (overdue.pk, 1),
        (soon.pk, 1),
        (later.pk, 1),
    ]
    assert far.pk not in {row.order.pk for row in selectors.orders_to_book(window_days=28)}
    book(soon, 1, nurse)  # its next cycle is 28 days later: out of the window
    assert [row.order.pk for row in selectors.orders_to_book(window_days=14)] == [
        overdue.pk,
        later.pk,
    ]


def test_the_check_command_finds_and_fixes_a_stale_row(order) -> None:
    Order.objects.filter(pk=order.pk).update(next_cycle=3, next_cycle_due=date(2030, 1, 1))
    with pytest.raises(CommandError, match="1 order"):
        call_command("check_next_cycles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("check_next_cycles", "--fix", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored(order) == (1, order.start_date)
    call_command("check_next_cycles", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_data_migration_fills_existing_rows(order, chair, nurse) -> None:
    book(order, 1, nurse)
    Order.objects.update(next_cycle=1, next_cycle_due=None)  # as after orders 0013
    migration = importlib.import_module("infusions.migrations.0007_fill_order_next_cycle")
    migration.fill(apps, None)
    assert stored(order) == (2, due(order, 2))
    assert_true_to_sessions()


# --- any sequence of booking, cancelling, moving and confirming --------------------------------

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("book"), st.integers(1, 3), st.booleans()),
        st.tuples(st.just("cancel"), st.integers(0, 9), st.just(False)),
        st.tuples(st.just("move"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("confirm"), st.integers(0, 9), st.just(False)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_any_sequence_keeps_it_true(operations, chair, nurse) -> None:
    """Accepted or refused, whatever the order of operations, the stored next cycle is the
    sessions' (each example rolled back: the database is the test's)."""
    with transaction.atomic():
        order = one_day_order(start_date=timezone.localdate() + timedelta(days=2))
        for name, number, flag in operations:
            sessions = list(
                InfusionSession.objects.filter(order=order).order_by("pk")
            )  # any status: refusals are part of the property
            try:
                if name == "book":
                    book(order, number, nurse, tentative=flag)
                elif sessions and name == "cancel":
                    booking.session_cancel(
                        sessions[number % len(sessions)], by=nurse, reason="Changed"
                    )
                elif sessions and name == "move":
                    session = sessions[number % len(sessions)]
                    day = timezone.localtime(session.planned_start).date()
                    start = local(day + timedelta(days=1 if flag else 2), "13:00")
                    booking.session_move(
                        session, chair=chair, start=start, by=nurse, reason="Moved"
                    )
                elif sessions and name == "confirm":
                    booking.session_confirm(sessions[number % len(sessions)], by=nurse)
            except InfusionError:
                pass
            order.refresh_from_db()
            assert_true_to_sessions()
        transaction.set_rollback(True)
