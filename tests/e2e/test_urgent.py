"""An urgent order in Chromium, rules v3 (docs/clinical-rules.md 3.10, 7.1): a toxic epidermal
necrolysis patient is ordered (urgent, with a reason), verified at the head of the queue, booked
and started within one session of the app, with no approval on file; a routine order still
cannot start."""

from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from authorizations.models import Authorization, AuthorizationStatus
from infusions.models import InfusionSession
from orders.models import Indication, Order, OrderStatus
from orders.services import order_create
from tests.conftest import TEST_PASSWORD
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.orders.factories import order_values, worked_example_patient

from .conftest import journey
from .test_infusions import mid_morning_zone, minutes_ago, record


@journey
def test_an_urgent_ten_order_starts_the_same_day_without_an_approval(
    page, sign_in, sign_out, clinician, pharmacist, nurse, settings
):
    settings.TIME_ZONE = mid_morning_zone()
    today = timezone.localdate()
    ChairFactory.create(name="Chair 1")  # open 07:00-21:00 every day
    patient = worked_example_patient(clinician)

    # The clinician's urgent draft (the order form has its own journeys); the clinician signs it
    # in the browser.
    order = order_create(
        by=clinician,
        **order_values(
            patient,
            indication=Indication.objects.get(slug="toxic-epidermal-necrolysis"),
            total_dose_g_per_kg=Decimal(3),
            days_per_cycle=3,
            cycles=1,
            start_date=today,
            concomitant_immunosuppressant="",
            urgent=True,
            urgent_reason="TEN, 30 % body surface, day 2",
        ),
    )
    sign_in(clinician)
    page.goto(f"/orders/{order.pk}/")
    expect(page.get_by_test_id("order-status")).to_have_text("Draft")
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Signed, awaiting verification")
    order = Order.objects.get(patient=patient)
    assert order.urgent and order.urgent_reason == "TEN, 30 % body surface, day 2"
    sign_out()

    # The pharmacist finds it at the head of the queue, marked urgent, and verifies it.
    sign_in(pharmacist)
    urgent_row = page.get_by_test_id("urgent-row")
    expect(urgent_row).to_contain_text("Urgent")
    expect(urgent_row).to_contain_text("TEN, 30 % body surface")
    urgent_row.get_by_role("link", name=order.number).click()
    page.get_by_role("button", name="Verify order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Verified")
    retrospective = Authorization.objects.get(order=order)
    assert retrospective.status == AuthorizationStatus.RETROSPECTIVE_DUE
    sign_out()

    # A routine order of another patient, verified, booked today, with no approval either.
    routine = verified_order(start_date=today)
    Authorization.objects.filter(order=routine).delete()
    routine_session = session_for(
        routine, ChairFactory.create(name="Chair 2"), local(today, "09:00"), by=nurse
    )

    # The nurse books the urgent order's first cycle and starts today's infusion.
    sign_in(nurse)
    page.get_by_test_id(f"book-{order.pk}").click()
    expect(page.get_by_test_id("book-heading")).to_contain_text("Book cycle 1")
    expect(page.get_by_test_id("proposal-day")).to_have_count(3)
    page.get_by_test_id("confirm-booking").click()
    expect(page.get_by_text("Cycle 1 of order")).to_be_visible()
    first = InfusionSession.objects.get(order=order, day_number=1)
    page.goto(f"/infusions/sessions/{first.pk}/")
    for slug in ("diphenhydramine", "acetaminophen"):  # the order's lines, one by one
        given = page.get_by_test_id(f"premedication-form-{slug}")
        given.locator('[name="given_at"]').fill(minutes_ago(60))
        page.get_by_test_id(f"give-{slug}").click()
        expect(page.get_by_test_id(f"premedication-given-{slug}")).to_contain_text("Given at")
    record(page, "started", {}, when=minutes_ago(30))
    expect(page.get_by_test_id("session-status")).to_have_text("In progress")
    first.refresh_from_db()
    assert first.status == "in_progress"
    retrospective.refresh_from_db()
    assert "Urgent start" in retrospective.notes

    # The routine order still cannot start: no approval covers it.
    page.goto(f"/infusions/sessions/{routine_session.pk}/")
    record(page, "started", {}, when=minutes_ago(30))
    expect(page.get_by_test_id("entry-error")).to_contain_text("No authorization covers")
    expect(page.get_by_test_id("session-status")).to_have_text("Booked")
    routine_session.refresh_from_db()
    assert routine_session.status == "booked"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ACTIVE
