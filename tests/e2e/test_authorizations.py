"""An authorization admin records an approval and works the dashboard; a nurse finds the
cycle reminder of the daily sweep in the inbox (docs/clinical-rules.md 7, 8), in Chromium."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from authorizations.models import Authorization, AuthorizationStatus
from reminders.sweeps import cycle_reminders
from tests.authorizations.factories import AuthorizationFactory, approved, at, make_order

from .conftest import journey


@journey
def test_an_admin_approves_and_a_nurse_is_reminded(
    page, sign_in, sign_out, authadmin, nurse, clinician
):
    today = timezone.localdate()
    awaiting_order = make_order(start_date=today + timedelta(days=5), by=clinician)
    awaiting = AuthorizationFactory.create(
        order=awaiting_order,
        payer="Journey Health",
        status=AuthorizationStatus.SUBMITTED,
        submitted_at=at(today - timedelta(days=2)),
    )
    expiring_order = make_order(start_date=today + timedelta(days=40), by=clinician)
    approved(
        expiring_order,
        payer="Expiring Health",
        valid_from=today - timedelta(days=30),
        valid_to=today + timedelta(days=20),
        cycles=3,
        grams=240,
    )
    AuthorizationFactory.create(
        order=make_order(start_date=today + timedelta(days=60), by=clinician),
        payer="Denying Health",
        status=AuthorizationStatus.DENIED,
        submitted_at=at(today - timedelta(days=9)),
        decision_date=today - timedelta(days=1),
    )

    sign_in(authadmin)
    expect(page.get_by_test_id("awaiting-row")).to_have_count(1)
    page.get_by_test_id("awaiting-row").get_by_role("link", name="Journey Health").click()
    form = page.get_by_test_id("decision-form")
    form.get_by_label("Approved", exact=True).check()
    form.get_by_label("Decision date").fill(today.isoformat())
    form.get_by_label("Approved cycles").fill("3")
    form.get_by_label("Approved grams").fill("240")
    form.get_by_label("Valid from").fill(today.isoformat())
    form.get_by_label("Valid to").fill((today + timedelta(days=120)).isoformat())
    page.get_by_test_id("record-decision").click()

    expect(page.get_by_test_id("authorization-status")).to_have_text("Approved")
    expect(page.get_by_test_id("approved-grams")).to_have_text("240 g")
    awaiting.refresh_from_db()
    assert awaiting.status == AuthorizationStatus.APPROVED
    assert awaiting.history.first().history_user == authadmin
    expect(page.locator("tr.covered")).to_have_count(3)

    page.get_by_role("link", name="Authorizations", exact=True).click()
    expect(page.get_by_test_id("awaiting-row")).to_have_count(0)
    renewal = page.get_by_test_id("renewal-row")
    expect(renewal).to_have_count(1)
    expect(renewal).to_contain_text("Expiring Health")
    expect(renewal).to_contain_text(expiring_order.number)
    expect(page.get_by_test_id("denial-row")).to_contain_text("Denying Health")
    sign_out()

    # The 06:00 sweep: cycle 1 of the approved order starts in 5 days, nothing booked.
    counts = cycle_reminders()
    assert counts["cycles_not_booked"] >= 1
    sign_in(nurse)
    expect(page.get_by_test_id("unread-count")).to_be_visible()
    page.get_by_test_id("inbox-link").click()
    reminder = page.get_by_test_id("notification").filter(has_text=awaiting_order.number)
    expect(reminder).to_contain_text("not booked")
    page.get_by_test_id("mark-all-read").click()
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    assert Authorization.objects.count() == 3
