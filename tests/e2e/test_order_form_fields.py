"""Issue 19, "Garbled orders", in Chromium: on *New order* a clinician fills every field first,
then finds and chooses the patient (htmx swaps the fields in again); every field stays exactly
as typed, and the saved order's page shows exactly that text."""

import re

from playwright.sync_api import expect

from formulary.models import Product
from orders.models import Order
from tests.dates import next_monday
from tests.orders.factories import worked_example_patient

from .conftest import journey

HYDRATION = "0.9% NaCl 500 mL over 1 h before"
COTHERAPY = "mycophenolate 1 g BID"
NOTES = "Check IgG trough before cycle 3."


@journey
def test_choosing_the_patient_keeps_every_field_and_the_order_says_what_was_typed(
    page, sign_in, clinician
):
    patient = worked_example_patient(clinician)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(clinician)
    page.goto("/orders/new/")

    page.get_by_label("Indication").select_option(label="Pemphigus vulgaris")
    expect(page.get_by_label("Days per cycle")).to_have_value("5")  # the regimen swapped in
    page.get_by_label("Product").select_option(str(Product.objects.get(slug="privigen").pk))
    page.get_by_label("Cycles", exact=True).fill("6")
    page.get_by_label("Start date").fill(next_monday().isoformat())
    page.get_by_label("Target rate (mL/h)").fill("150")
    # docs/clinical-rules.md 3.5: the offered lines changed, and one more.
    page.get_by_label("Dose, line 1").fill("50")
    page.get_by_label("Drug, line 3").select_option("cetirizine")
    page.get_by_label("Dose, line 3").fill("10")
    page.get_by_label("Hydration").fill(HYDRATION)
    page.get_by_label("Concomitant immunosuppressant").fill(COTHERAPY)
    page.get_by_label("Notes").fill(NOTES)

    # Now the patient: search, choose; the fields are swapped in again from what was posted.
    page.get_by_test_id("patient-search").fill(patient.mrn)
    select = page.get_by_test_id("patient-select")
    expect(select.locator("option")).to_have_count(2)
    with page.expect_response(re.compile(r"/orders/new/fields/")):
        select.select_option(str(patient.pk))
    expect(page.get_by_test_id("daily-dose")).to_have_text("25 g")

    expect(page.get_by_label("Dose, line 1")).to_have_value("50")
    expect(page.get_by_label("Drug, line 3")).to_have_value("cetirizine")
    expect(page.get_by_label("Dose, line 3")).to_have_value("10")
    expect(page.get_by_label("Hydration")).to_have_value(HYDRATION)
    expect(page.get_by_label("Concomitant immunosuppressant")).to_have_value(COTHERAPY)
    expect(page.get_by_label("Notes")).to_have_value(NOTES)
    expect(page.get_by_label("Target rate (mL/h)")).to_have_value("150")
    expect(page.get_by_label("Cycles", exact=True)).to_have_value("6")
    expect(page.get_by_label("Start date")).to_have_value(next_monday().isoformat())

    page.get_by_test_id("order-save").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Draft")
    # The premedication lines as typed (docs/clinical-rules.md 3.5).
    expect(page.get_by_test_id("order-premedication").get_by_role("listitem")).to_have_text(
        [
            "Diphenhydramine 50 mg PO, 30 min before the start",
            "Acetaminophen 500 mg PO, 30 min before the start",
            "Cetirizine 10 mg PO, 30 min before the start",
        ]
    )
    expect(page.get_by_test_id("order-hydration")).to_have_text(HYDRATION)
    expect(page.get_by_test_id("order-cotherapy")).to_have_text(COTHERAPY)
    expect(page.get_by_test_id("order-notes")).to_have_text(NOTES)
    expect(page.get_by_test_id("order-rate")).to_contain_text("target 150 mL/h")
    order = Order.objects.get(patient=patient)
    assert (order.premedication, order.hydration, order.notes) == ("", HYDRATION, NOTES)
    assert (order.concomitant_immunosuppressant, order.target_rate_ml_per_h) == (COTHERAPY, 150)
    assert errors == []
