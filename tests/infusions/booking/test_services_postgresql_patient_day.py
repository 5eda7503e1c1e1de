"""docs/clinical-rules.md 6.1 on PostgreSQL: two nurses booking two orders of one patient onto the
same day at the same moment; the patient's row lock lets exactly one through and the other gets
the clear refusal (never a 500). On SQLite (no row locks, one writer at a time): skipped."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from infusions.booking import services as booking
from infusions.booking.services import Slot
from infusions.errors import InfusionError
from infusions.models import InfusionSession
from ivig.accounts.models import User
from tests.infusions.factories import ChairFactory, two_meant_orders_of_one_patient

# Decided before any database is set up: a skipped transactional test would still flush it.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (row locks)"
)


# Real commits from two threads; the seeded products and indications are restored after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_orders_of_one_patient_booked_onto_one_day_at_once(make_user) -> None:
    nurses: list[User] = [make_user(f"nurse-{n}") for n in range(2)]
    chairs = [ChairFactory.create(), ChairFactory.create()]
    first, second = two_meant_orders_of_one_patient()
    orders = [first, second]
    starts = [booking.booking_propose(order, 1, chair=chair)[0].start
              for order, chair in zip(orders, chairs, strict=True)]  # fmt: skip
    assert len({timezone.localdate(start) for start in starts}) == 1
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    messages: list[str] = []

    def book(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            booking.booking_confirm(
                orders[index], 1, [Slot(1, chairs[index], starts[index])], nurses[index]
            )
            outcomes.append("booked")
        except InfusionError as error:
            outcomes.append(error.code)
            messages.append(error.message)
        except Exception as error:  # a 500 in the making: the assertion below fails on it
            outcomes.append(repr(error))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=book, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["booked", "patient_day_taken"]
    (winner,) = InfusionSession.objects.filter(patient=first.patient)
    assert f"order {winner.order.number}" in messages[0]
    assert f"{winner.planned_day:%d %b %Y}" in messages[0]
