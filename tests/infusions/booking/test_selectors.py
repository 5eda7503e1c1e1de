"""*Cycles to book* lists only cycles that can be booked, of the version in force
(docs/clinical-rules.md 4, 6): never a cycle before one already given (a patient on cycle 3 is
not offered cycle 1), and any refusal on the booking page is a sentence in words (the finding's
title and message), never a code."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.booking import selectors
from infusions.booking import services as booking
from infusions.booking.next_cycles import refresh_next_cycle
from infusions.errors import InfusionError
from infusions.models import SessionStatus
from ivig.engine import FINDING_TITLES
from orders.models import Order, OrderStatus
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z0-9]+)+\b|\b[a-z]+(?:_[a-z]+)+\b")


def _on_cycle_3(nurse):
    """As the demo's course: cycle 1 never booked here, cycle 2 given four weeks ago (its day 1),
    cycle 3 due today and not booked yet."""
    today = timezone.localdate()
    order = verified_order(start_date=today - timedelta(days=56), cycles=6)
    chair = ChairFactory.create(name="Chair A")
    session_for(
        order,
        chair,
        local(today - timedelta(days=28), "09:00"),
        by=nurse,
        status=SessionStatus.COMPLETED,
        cycle_number=2,
    )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ACTIVE)
    order.refresh_from_db()
    return order


def _book_links(page: str) -> list[str]:
    return re.findall(r'href="(/infusions/orders/\d+/cycles/\d+/book/)"', page)


def test_a_patient_on_cycle_3_is_offered_cycle_3_not_cycle_1(nurse, client_for):
    order = _on_cycle_3(nurse)
    assert (order.next_cycle, order.next_cycle_due) == (3, timezone.localdate())
    page = client_for(nurse).get(reverse("infusions:schedule")).content.decode()
    assert _book_links(page) == [reverse("infusions:book", args=[order.pk, 3])]
    assert "Book cycle 1" not in page
    assert selectors.stale_next_cycles() == []


def test_booking_a_cycle_before_one_given_is_refused_in_words(nurse, client_for):
    order = _on_cycle_3(nurse)
    with pytest.raises(InfusionError) as refused:
        booking.booking_propose(order, 1)
    assert "Cycle 2 of order" in refused.value.message and "has already been given" in (
        refused.value.message
    )
    page = client_for(nurse).get(reverse("infusions:book", args=[order.pk, 1]))
    error = re.search(r'data-testid="booking-error">([^<]*)<', page.content.decode())
    assert error is not None
    assert "cycle 1, before it, is past" in error.group(1)
    assert not CODE.search(error.group(1)), error.group(1)


def test_a_stop_on_the_booking_page_is_the_findings_title_and_message(nurse, client_for):
    order = _on_cycle_3(nurse)
    order.patient.iga_status = "deficient_with_antibodies"  # Privigen is not a low-IgA product
    order.patient.save()
    page = client_for(nurse).get(reverse("infusions:book", args=[order.pk, 3])).content.decode()
    error = re.search(r'data-testid="booking-error">([^<]*)<', page)
    assert error is not None, page
    text = error.group(1)
    assert FINDING_TITLES["IGA_DEFICIENCY_WITH_ANTIBODIES"] in text
    assert "IGA_DEFICIENCY_WITH_ANTIBODIES" not in page
    assert not CODE.search(text), text


def test_a_missed_cycle_before_one_booked_is_offered_again_until_a_later_one_is_given(
    nurse,
):
    """Only a cycle given (or under way) closes the cycles before it: a cycle cancelled while
    the next is booked is offered again (docs/clinical-rules.md 6)."""
    today = timezone.localdate()
    order = verified_order(start_date=today + timedelta(days=3), cycles=3)
    chair = ChairFactory.create()
    first = session_for(order, chair, local(today + timedelta(days=3), "09:00"), by=nurse)
    session_for(order, chair, local(today + timedelta(days=31), "09:00"), by=nurse, cycle_number=2)
    booking.session_cancel(first, by=nurse, reason="Unwell")
    order.refresh_from_db()
    assert order.next_cycle == 1
    second = order.sessions.get(cycle_number=2)
    second.status = SessionStatus.COMPLETED
    second.save()
    refresh_next_cycle(order)
    assert order.next_cycle == 3
    assert selectors.stale_next_cycles() == []
