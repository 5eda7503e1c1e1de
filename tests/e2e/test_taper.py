"""A taper of an order under treatment, walked by each role (docs/clinical-rules.md 4, 10.3): the
clinician accepts the taper and signs it (the booked sessions are still there), a pharmacist
verifies it (the sessions on or after the new first day are cancelled, the nurse's inbox says
what moved), and the schedule offers the new version's cycle 1 to book."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from infusions.booking.next_cycles import refresh_next_cycle
from infusions.models import InfusionSession, SessionStatus
from orders.models import Order, OrderStatus
from orders.reviews.services import review_record
from tests.conftest import TEST_PASSWORD
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

from .conftest import journey


def _course_on_cycle_3(clinician):
    """Cycles 1 and 2 given, cycle 3 booked from today, cycle 4 booked four weeks later; two
    reviews in complete response (a taper is proposed)."""
    today = timezone.localdate()
    order = verified_order(
        start_date=today - timedelta(days=56), cycles=6, verified_at=timezone.now()
    )
    chair = ChairFactory.create(name="Chair A")
    for cycle, first, status in (
        (1, -56, SessionStatus.COMPLETED),
        (2, -28, SessionStatus.COMPLETED),
        (3, 0, SessionStatus.BOOKED),
        (4, 28, SessionStatus.BOOKED),
    ):
        for day in range(5):
            session_for(
                order,
                chair,
                local(today + timedelta(days=first + day), "16:00"),
                by=clinician,
                status=status,
                cycle_number=cycle,
                day_number=day + 1,
            )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ACTIVE)
    order.refresh_from_db()
    refresh_next_cycle(order)
    for days_ago in (30, 1):
        review_record(
            order,
            by=clinician,
            reviewed_on=today - timedelta(days=days_ago),
            score=Decimal(0),
            prednisone_mg_per_day=Decimal(0),
            response="complete",
            decision="taper",
        )
    return order


def _statuses(order: Order, cycle: int) -> list[str]:
    return list(
        InfusionSession.objects.filter(order=order, cycle_number=cycle).values_list(
            "status", flat=True
        )
    )


@journey
def test_a_taper_signed_then_verified_moves_the_sessions_and_says_so(
    page, sign_in, sign_out, clinician, pharmacist, nurse
):
    order = _course_on_cycle_3(clinician)
    first_day = timezone.localdate() + timedelta(days=28)

    # The clinician accepts the dose taper and signs the new version.
    sign_in(clinician)
    page.goto(f"/orders/{order.pk}/reviews/")
    page.get_by_test_id("taper-dose").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Draft")
    taper = Order.objects.get(supersedes=order)
    assert taper.start_date == first_day
    for reason in page.get_by_label(re.compile(r"^Reason to override")).all():
        reason.fill("Meant: a taper")
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Signed, awaiting verification")
    # Signed, not verified: the version in force and its booked sessions are still there.
    page.goto(f"/orders/{order.pk}/")
    expect(page.get_by_test_id("order-status")).to_have_text("Active")
    expect(page.get_by_test_id("pending-version")).to_contain_text("awaits verification")
    assert _statuses(order, 4) == [SessionStatus.BOOKED] * 5
    sign_out()

    # A pharmacist verifies it: version 1's sessions from the new first day are cancelled.
    sign_in(pharmacist)
    page.goto(f"/orders/{taper.pk}/")
    for box in page.get_by_test_id("verify-form").get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="Verify order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Verified")
    order.refresh_from_db()
    assert order.status == OrderStatus.SUPERSEDED
    assert _statuses(order, 3) == [SessionStatus.BOOKED] * 5  # before the new first day
    assert _statuses(order, 4) == [SessionStatus.CANCELLED] * 5
    sign_out()

    # The nurse's inbox says what moved, with the days; the schedule offers the new cycle 1.
    sign_in(nurse)
    page.goto("/notifications/")
    body = page.locator("main")
    expect(body).to_contain_text(f"Order {order.number}: version 2 verified")
    expect(body).to_contain_text("5 sessions of version 1 cancelled")
    expect(body).to_contain_text(f"{first_day:%a %d %b %Y}")
    page.goto("/infusions/?window=56")
    book = page.get_by_test_id(f"book-{taper.pk}")
    expect(book).to_have_text("Book cycle 1")
    expect(page.get_by_test_id(f"book-{order.pk}")).to_have_count(0)
    book.click()
    expect(page.get_by_test_id("booking-error")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(f"{first_day:%Y}")
