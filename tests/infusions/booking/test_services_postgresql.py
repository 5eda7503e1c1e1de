"""A chair never holds two overlapping sessions (docs/clinical-rules.md 6), on PostgreSQL: the
exclusion constraint itself, and two nurses booking the same slot at the same moment.

On SQLite there is neither GiST nor row locking (SQLite has one writer at a time): skipped.
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from infusions.booking import services as booking
from infusions.booking.services import Slot
from infusions.errors import InfusionError
from infusions.models import InfusionSession, SessionStatus
from ivig.accounts.models import User
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

# Decided before any database is set up: a skipped transactional test would still flush it.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (btree_gist exclusion constraint, row locks)",
)


@pytest.mark.django_db
def test_the_database_refuses_overlapping_active_sessions(nurse) -> None:
    chair = ChairFactory.create()
    first = session_for(verified_order(), chair, yesterday_at("09:00"), by=nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Straight INSERT, bypassing every service check.
        session_for(verified_order(), chair, yesterday_at("12:00"), by=nurse)
    # Back to back is not an overlap; another chair is free; a cancelled session frees the slot.
    session_for(verified_order(), chair, yesterday_at("12:29"), by=nurse)
    session_for(verified_order(), ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    InfusionSession.objects.filter(pk=first.pk).update(status=SessionStatus.CANCELLED)
    session_for(verified_order(), chair, yesterday_at("10:00"), by=nurse, minutes=60)
    with pytest.raises(IntegrityError), transaction.atomic():
        InfusionSession.objects.filter(pk=first.pk).update(status=SessionStatus.BOOKED)


# Real commits from two threads; the seeded products and indications are restored after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_nurses_booking_the_same_slot_at_once(make_user) -> None:
    nurses: list[User] = [make_user(f"nurse-{n}") for n in range(2)]
    chair = ChairFactory.create()
    # One day of 1 g/kg each: within the daily maximum (docs/clinical-rules.md 3.8).
    orders = [verified_order(days_per_cycle=1, total_dose_g_per_kg=Decimal(1)) for _ in nurses]
    start = booking.booking_propose(orders[0], 1)[0].start
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            booking.booking_confirm(orders[index], 1, [Slot(1, chair, start)], nurses[index])
            outcomes.append("booked")
        except InfusionError as error:
            outcomes.append(error.code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=book, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["booked", "slot_taken"]
    assert InfusionSession.objects.filter(chair=chair, planned_start=start).count() == 1
    # ... and no session overlaps another on the chair.
    (only,) = InfusionSession.objects.filter(chair=chair)
    assert only.planned_end - only.planned_start > timedelta(0)
