"""A reaction carried forward in Chromium (docs/clinical-rules.md 3.8.3): a nurse records an
adverse event on yesterday's session; the clinician of the patient's order is notified (inbox)
with the link to the plan; today's session of the same patient shows the reaction and
PRIOR_INFUSION_REACTION and refuses to start until a clinician records a plan; the clinician
opens the notification, is refused a cap below the protocol's first step (20 mL/h, rules v3)
and told that 40 mL/h needs more chair time than the booking holds (with the minutes),
records it with hydrocortisone 100 mg IV as an added premedication line, saying the booking
will be moved; the nurse sees the warning and the plan's line beside the order's, records it
given; the session then starts and its rates are capped.

The order and its two sessions are made in the database (booking has its own journey); the
server's time zone is one where it is mid-morning now, as in test_infusions.py.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from infusions.models import AdministrationEntry, PremedicationGiven, SessionStatus
from ivig.engine import FINDING_TITLES
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.orders.factories import PatientWeightFactory

from .conftest import journey
from .test_infusions import mid_morning_zone, minutes_ago, record


def yesterday(clock: str) -> str:
    return f"{timezone.localdate() - timedelta(days=1):%Y-%m-%d}T{clock}"


@journey
@pytest.mark.console_errors("status of 400 (Bad Request)")  # the refused caps it checks answer 400
def test_a_reaction_blocks_the_next_session_until_a_clinicians_plan(
    page: Page, sign_in, sign_out, nurse, clinician, settings
):
    settings.TIME_ZONE = mid_morning_zone()
    today = timezone.localdate()
    chair = ChairFactory.create(name="Chair 1")
    order = verified_order(start_date=today - timedelta(days=1), created_by=clinician)
    # Weighed before both sessions: a session's plan reads the weight as of its day.
    PatientWeightFactory.create(
        patient=order.patient,
        weight_kg=Decimal("82.5"),
        measured_on=today - timedelta(days=20),
        recorded_by=nurse,
    )
    first = session_for(order, chair, local(today - timedelta(days=1), "09:00"), by=nurse)
    later = session_for(order, chair, local(today, "09:00"), by=nurse, day_number=2)

    # The nurse records yesterday's infusion: started, faster, then an adverse event.
    sign_in(nurse)
    page.goto(reverse("infusions:session-detail", args=[first.pk]))
    # rules v3: Privigen's label steps, 20 mL/h for 30 minutes, then 41
    record(page, "started", {}, when=yesterday("09:30"))
    expect(page.get_by_test_id("current-rate")).to_contain_text("running at 20 mL/h")
    record(page, "rate_changed", {"rate_ml_per_h": "41"}, when=yesterday("10:00"))
    expect(page.get_by_test_id("current-rate")).to_contain_text("running at 41 mL/h")
    form = page.get_by_test_id("form-adverse_event")
    page.get_by_test_id("open-adverse_event").click()
    form.get_by_label("Fever", exact=True).check()
    form.get_by_label("Moderate to severe headache").check()
    form.locator('[name="severity"]').select_option("moderate")
    form.locator('[name="action"]').fill("Stopped; paracetamol 1 g PO")
    form.locator('[name="occurred_at"]').fill(yesterday("10:05"))
    form.get_by_test_id("submit-adverse_event").click()
    expect(page.get_by_test_id("current-rate")).to_contain_text("stopped")
    reaction = AdministrationEntry.objects.get(session=first, kind="adverse_event")

    # Today's session carries it forward and refuses to start.
    page.goto(reverse("infusions:session-detail", args=[later.pk]))
    expect(page.get_by_test_id("reaction-finding")).to_contain_text(
        FINDING_TITLES["PRIOR_INFUSION_REACTION"]
    )
    row = page.get_by_test_id(f"reaction-{reaction.pk}")
    expect(row).to_contain_text("Fever, Moderate to severe headache")
    expect(row).to_contain_text("41")  # the rate at onset
    expect(row).to_contain_text("no plan yet")
    expect(page.get_by_test_id("blockers")).to_contain_text("has no plan yet")
    record(page, "started", {}, when=minutes_ago(20))
    expect(page.get_by_test_id("entry-error")).to_contain_text("has no plan yet")
    expect(page.get_by_test_id("session-status")).to_have_text("Booked")
    later.refresh_from_db()
    assert later.status == SessionStatus.BOOKED
    sign_out()

    # The clinician of the order is told, and opens the plan from the inbox.
    sign_in(clinician)
    page.goto(reverse("notifications:inbox"))
    note = page.get_by_test_id("notification").filter(has_text="a plan is needed")
    expect(note).to_contain_text("Fever, Moderate to severe headache")
    note.get_by_role("button", name="Open").click()
    expect(page).to_have_url(re.compile(reverse("infusions:reaction-plan", args=[reaction.pk])))
    # rules v3: the lower of the protocol's 34 mL/h (0.5 mL/kg/h x 68.8 kg) and the label's
    # 0.5 mg/kg/min x 68.8 kg x 60 / (10 x 10 %) = 20.64, rounded down: 20 mL/h.
    expect(page.get_by_test_id("first-step-rate")).to_have_text("20 mL/h")
    # A cap below the protocol's first step is refused.
    plan_form = page.get_by_test_id("reaction-plan-form")
    plan_form.locator('[name="max_rate_ml_per_h"]').fill("5")
    plan_form.get_by_role("button", name="Record the plan").click()
    expect(page.get_by_test_id("reaction-plan-form")).to_contain_text(
        "cannot be below the first step of the protocol for this patient, 20 mL/h"
    )
    # 40 mL/h: today's booking (209 minutes) is too short, and the clinician is told so.
    plan_form = page.get_by_test_id("reaction-plan-form")
    plan_form.locator('[name="max_rate_ml_per_h"]').fill("40")
    # Added premedication, a line as on the order: hydrocortisone 100 mg IV.
    plan_form.locator('[name="premedication-0-drug"]').select_option("hydrocortisone")
    plan_form.locator('[name="premedication-0-dose"]').fill("100")
    plan_form.locator('[name="premedication-0-route"]').select_option("IV")
    plan_form.get_by_role("button", name="Record the plan").click()
    told = page.get_by_test_id("reaction-plan-form")
    expect(told).to_contain_text("minutes in the chair")
    expect(told).to_contain_text("holds 209 minutes: the booking must be moved")
    page.get_by_test_id("reaction-plan-form").get_by_label(
        "The booking will be moved to give the longer infusion its chair time"
    ).check()
    page.get_by_test_id("reaction-plan-form").get_by_role("button", name="Record the plan").click()
    expect(page.get_by_test_id("session-heading")).to_contain_text("day 1")  # back on its session
    page.goto(reverse("infusions:session-detail", args=[later.pk]))
    expect(page.get_by_test_id(f"reaction-{reaction.pk}")).to_contain_text("maximum 40 mL/h")
    expect(page.get_by_test_id(f"reaction-{reaction.pk}")).to_contain_text(
        "premedication: Hydrocortisone 100 mg IV, 30 min before the start"
    )
    sign_out()

    # The nurse starts today's session; its rates are capped at the plan's 40 mL/h.
    sign_in(nurse)
    page.goto(reverse("infusions:session-detail", args=[later.pk]))
    expect(page.get_by_test_id("reaction-finding")).to_have_count(0)
    expect(page.get_by_test_id("reaction-rate-cap")).to_contain_text("40 mL/h")
    expect(page.get_by_test_id("booking-overrun")).to_contain_text("holds 209 minutes")
    expect(page.get_by_test_id("blockers")).to_have_count(0)
    # The plan's added line is given like the order's, and recorded as given.
    added = page.get_by_test_id("premedication-given-plan-hydrocortisone")
    expect(added).to_contain_text("Hydrocortisone 100 mg IV, 30 min before the start")
    expect(added).to_contain_text("added by the reaction plan")
    page.get_by_test_id("premedication-form-plan-hydrocortisone").locator('[name="given_at"]').fill(
        f"{today:%Y-%m-%d}T08:35"
    )
    page.get_by_test_id("give-plan-hydrocortisone").click()
    expect(added).to_contain_text("Given at 08:35")
    # Half an hour before the booked infusion start (09:00 and the premedication lead; a start
    # more than an hour from the booking would need a reason), so that at any mid-morning minute
    # the protocol is past its first step (20 mL/h) and the plan's 40 mL/h cap is what refuses.
    record(page, "started", {}, when=f"{today:%Y-%m-%d}T09:00")
    expect(page.get_by_test_id("session-status")).to_have_text("In progress")
    record(page, "rate_changed", {"rate_ml_per_h": "49"}, when=minutes_ago(1))
    expect(page.get_by_test_id("entry-error")).to_contain_text("above 40 mL/h")
    record(page, "rate_changed", {"rate_ml_per_h": "40"}, when=minutes_ago(1))
    expect(page.get_by_test_id("current-rate")).to_contain_text("running at 40 mL/h")
    later.refresh_from_db()
    assert later.status == SessionStatus.IN_PROGRESS
    (given,) = PremedicationGiven.objects.filter(session=later)
    assert given.plan_line is not None and given.plan_line.drug.slug == "hydrocortisone"
    assert given.given_by == nurse
