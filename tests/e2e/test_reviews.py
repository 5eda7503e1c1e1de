"""A clinician records a response review and two titres and sees them on the patient's course
chart, whose points match the table under it (docs/clinical-rules.md 10.1, 10.4)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.labs.models import LabTest
from orders.models import Indication
from tests.infusions.factories import verified_order

from .conftest import journey


@journey
@pytest.mark.console_errors("status of 400 (Bad Request)")  # the refused score answers 400
def test_a_clinician_records_a_review_and_sees_it_on_the_chart(page, sign_in, clinician):
    # Transactional tests re-seed the indications without the measures' data migration.
    Indication.objects.filter(slug="pemphigus-vulgaris").update(outcome_measure="pdai")
    order = verified_order(start_date=timezone.localdate() - timedelta(days=57), cycles=6)
    sign_in(clinician)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_test_id("order-reviews").click()
    expect(page.get_by_test_id("review-measure")).to_contain_text("PDAI")
    expect(page.get_by_test_id("next-review-due")).to_contain_text("before cycle 4")

    page.get_by_label("PDAI score (0 to 263)").fill("264")
    page.get_by_label("Prednisone-equivalent dose (mg/day)").fill("20")
    page.get_by_label("Response").select_option("partial")
    page.get_by_label("Decision").select_option("continue")
    page.get_by_test_id("record-review").click()
    expect(page.get_by_text("A PDAI score is between 0 and 263.")).to_be_visible()

    page.get_by_label("PDAI score (0 to 263)").fill("38.5")
    page.get_by_test_id("record-review").click()
    expect(page.get_by_test_id("reviews")).to_contain_text("38.5")
    expect(page.get_by_test_id("reviewed-up-to")).to_have_text("cycle 3")
    # A 6-cycle course has no cycle 7: the response is reassessed at the course's end.
    due = page.get_by_test_id("next-review-due")
    expect(due).to_contain_text("none before another cycle: the course has 6 cycles")
    expect(due).to_contain_text("Reassess the response at the end of the course, after cycle 6")

    # Two anti-desmoglein 3 titres, recorded on the patient page.
    dsg3 = str(LabTest.objects.get(code="L-DSG3"))
    earlier = (timezone.localdate() - timedelta(days=28)).isoformat()
    for taken_on, value in ((earlier, "212.5"), (timezone.localdate().isoformat(), "96")):
        page.goto(f"/orders/patients/{order.patient_id}/")
        page.get_by_test_id("patient-lab-add").click()
        page.get_by_label("Test").select_option(label=dsg3)
        page.get_by_label("Taken on").fill(taken_on)
        page.get_by_label("Value").fill(value)
        page.get_by_role("button", name="Record result").click()
        expect(page.get_by_test_id("lab-trend-L-DSG3")).to_contain_text(value)

    page.goto(f"/orders/patients/{order.patient_id}/")
    chart = page.get_by_test_id("course-chart")
    today = timezone.localdate().isoformat()
    for day, value in ((earlier, "212.5"), (today, "96")):
        titre = chart.locator(f'svg circle[data-series="titre-dsg3"][data-date="{day}"]')
        expect(titre).to_have_attribute("data-value", value)
    expect(chart.locator("table")).to_contain_text("Anti-desmoglein 3 titre")
    point = chart.locator(f'svg circle[data-series="score-pdai"][data-date="{today}"]')
    expect(point).to_have_attribute("data-value", "38.5")
    drawn = chart.locator("svg circle[data-series]")
    listed = chart.locator("table tr[data-value]")
    expect(listed).to_have_count(drawn.count())
    points = sorted(
        (
            c.get_attribute("data-series"),
            c.get_attribute("data-date"),
            c.get_attribute("data-value"),
        )
        for c in drawn.all()
    )
    rows = sorted(
        (
            r.get_attribute("data-series"),
            r.get_attribute("data-date"),
            r.get_attribute("data-value"),
        )
        for r in listed.all()
    )
    assert points == rows
    assert ("prednisone", today, "20") in rows
    assert ("titre-dsg3", earlier, "212.5") in rows and ("titre-dsg3", today, "96") in rows
    expect(chart.locator('svg [data-marker="cotherapy"]')).to_have_count(1)
