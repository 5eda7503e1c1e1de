"""Premedication line by line in Chromium (docs/clinical-rules.md 3.5, 6): a clinician enters a
child's order, whose premedication starts with the weight-based defaults; a dose raised above
1.25 mg/kg shows PREMEDICATION_DOSE_HIGH in the preview, and the order is signed with the reason.
Once verified and booked (in the database: those steps have their own journeys), the nurse
records one line given and the other not given on the session page."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from formulary.models import Product
from infusions.administration.models import PremedicationGiven
from orders.models import Order, OrderStatus
from orders.services import order_verify
from tests.infusions.factories import ChairFactory, session_for
from tests.orders.factories import PatientFactory, PatientWeightFactory

from ..conftest import TEST_PASSWORD
from .conftest import journey
from .test_infusions import mid_morning_zone

REASON = "Weighed 12 kg on a ward scale; the family gives 20 mg at home without problems"


@journey
def test_a_childs_premedication_line_by_line_from_order_to_chair(
    page, sign_in, sign_out, clinician, pharmacist, nurse, settings
):
    settings.TIME_ZONE = mid_morning_zone()  # the session is today, the records before now
    patient = PatientFactory.create(
        date_of_birth=timezone.localdate() - timedelta(days=3 * 365 + 30), height_cm=Decimal(90)
    )
    PatientWeightFactory.create(patient=patient, weight_kg=Decimal(12), recorded_by=clinician)

    sign_in(clinician)
    page.goto(f"/orders/patients/{patient.pk}/")
    page.get_by_role("button", name="New order for this patient").click()
    # The children's defaults for 12 kg: 1 mg/kg and 15 mg/kg, rounded down.
    expect(page.get_by_label("Drug, line 1")).to_have_value("diphenhydramine")
    expect(page.get_by_label("Dose, line 1")).to_have_value("12")
    expect(page.get_by_label("Drug, line 2")).to_have_value("acetaminophen")
    expect(page.get_by_label("Dose, line 2")).to_have_value("180")

    page.get_by_label("Indication").select_option(label="Kawasaki's syndrome")
    expect(page.get_by_label("Days per cycle")).not_to_have_value("")  # the regimen swapped in
    page.get_by_label("Product").select_option(str(Product.objects.get(slug="privigen").pk))
    page.get_by_label("Cycles", exact=True).fill("1")
    page.get_by_label("Start date").fill(timezone.localdate().isoformat())
    expect(page.get_by_test_id("daily-dose")).to_be_visible()
    expect(page.get_by_test_id("finding-PREMEDICATION_DOSE_HIGH")).to_have_count(0)

    page.get_by_label("Dose, line 1").fill("20")  # 1.67 mg/kg, above 1.25
    finding = page.get_by_test_id("finding-PREMEDICATION_DOSE_HIGH").first
    expect(finding).to_contain_text("Diphenhydramine 20 mg is 1.67 mg/kg")
    expect(finding).to_have_class("severity-override")

    page.get_by_test_id("order-save").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Draft")
    expect(page.get_by_test_id("order-premedication").get_by_role("listitem")).to_have_text(
        [
            "Diphenhydramine 20 mg PO, 30 min before the start",
            "Acetaminophen 180 mg PO, 30 min before the start",
        ]
    )
    sign_form = page.get_by_test_id("sign-form")
    page.get_by_label("Reason to override Premedication dose high for a child").fill(REASON)
    for other in sign_form.locator('[name^="reason_"]').all():
        if not other.input_value():
            other.fill("Accepted for this child")
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Signed, awaiting verification")
    expect(page.get_by_test_id("overrides")).to_contain_text(REASON)

    order = Order.objects.get(patient=patient)
    assert order.status == OrderStatus.SIGNED and order.premedication == ""
    order = order_verify(
        order,
        by=pharmacist,
        acknowledged_codes=[o.code for o in order.overrides.all()],
        version=order.version,
    )
    start = timezone.localtime().replace(second=0, microsecond=0) - timedelta(minutes=45)
    session = session_for(order, ChairFactory.create(name="Chair 1"), start, by=nurse)
    sign_out()

    sign_in(nurse)
    page.goto(f"/infusions/sessions/{session.pk}/")
    given = page.get_by_test_id("premedication-given")
    expect(given.get_by_test_id("premedication-given-diphenhydramine")).to_contain_text(
        "Diphenhydramine 20 mg PO, 30 min before the start"
    )
    page.get_by_test_id("give-diphenhydramine").click()
    row = page.get_by_test_id("premedication-given-diphenhydramine")
    expect(row.get_by_test_id("given-at")).to_contain_text("Given at")

    acetaminophen = page.get_by_test_id("premedication-form-acetaminophen")
    acetaminophen.get_by_label("Or why not given").fill("Had acetaminophen at home at 08:00")
    page.get_by_test_id("not-give-acetaminophen").click()
    row = page.get_by_test_id("premedication-given-acetaminophen")
    expect(row.get_by_test_id("not-given")).to_be_visible()
    expect(row).to_contain_text("Had acetaminophen at home at 08:00")

    given = PremedicationGiven.objects.filter(session=session, line__isnull=False)
    records = {r.line.drug.slug: r for r in given if r.line is not None}
    assert records["diphenhydramine"].given_by == nurse
    assert records["diphenhydramine"].given_at is not None
    assert records["acetaminophen"].given_at is None
