"""A nurse books a verified order's first cycle in Chromium, then runs today's infusion:
premedication, start, a faster rate, vital signs, an adverse event that stops it, a restart at a
lower rate, and completion (docs/clinical-rules.md 3.5, 6).

The order is made in the database (the order services have their own journeys). The server's
time zone is set to one where it is mid-morning now, so that the cycle's first day is today and
every entry, backdated by up to an hour, falls on it, whatever time the suite runs.
"""

import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from infusions.models import InfusionSession
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, verified_order

from .conftest import journey


def mid_morning_zone() -> str:
    """An ``Etc/GMT±N`` zone where the local time now is between 10:00 and 10:59."""
    utc_hour = datetime.now(UTC).hour
    offset = (10 - utc_hour + 12) % 24 - 12  # local = UTC + offset, offset in -12..+11
    # POSIX sign convention: Etc/GMT-3 is three hours *ahead* of UTC.
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def minutes_ago(minutes: int) -> str:
    return (timezone.localtime() - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def record(page: Page, kind: str, fields: dict[str, str], *, when: str | None = None) -> None:
    summary = page.get_by_test_id(f"open-{kind}")
    form = page.get_by_test_id(f"form-{kind}")
    if not form.is_visible():
        summary.click()
    if when is not None:
        form.locator('[name="occurred_at"]').fill(when)
    for name, value in fields.items():
        form.locator(f'[name="{name}"]').fill(value)
    form.get_by_test_id(f"submit-{kind}").click()


@journey
def test_a_nurse_books_a_cycle_and_runs_an_infusion(page, sign_in, nurse, settings):
    settings.TIME_ZONE = mid_morning_zone()
    ChairFactory.create(name="Chair 1")  # open 07:00-21:00 every day
    order = verified_order(start_date=timezone.localdate())
    patient = order.patient

    sign_in(nurse)
    page.get_by_test_id(f"book-{order.pk}").click()
    expect(page.get_by_test_id("book-heading")).to_contain_text("Book cycle 1")
    expect(page.get_by_test_id("proposal-day")).to_have_count(5)
    # No nurse on shift is recorded: the proposal says it is first fit (docs/planner.md).
    expect(page.get_by_test_id("proposal-why")).to_contain_text("First fit")
    page.get_by_test_id("confirm-booking").click()

    expect(page.get_by_text("Cycle 1 of order")).to_be_visible()
    rows = page.get_by_test_id("session-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(patient.family_name)
    expect(rows.first).to_contain_text("Booked")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE
    assert InfusionSession.objects.filter(order=order).count() == 5

    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("session-heading")).to_contain_text(patient.family_name)
    expect(page.get_by_test_id("watch-list")).to_contain_text("Moderate to severe headache")

    record(page, "premedication_given", {}, when=minutes_ago(60))
    expect(page.get_by_test_id("entry-premedication_given")).to_contain_text("diphenhydramine")
    # at the plan's first rate: rules v3, Privigen's first label step, 20 mL/h for 30 minutes
    record(page, "started", {}, when=minutes_ago(45))
    expect(page.get_by_test_id("session-status")).to_have_text("In progress")
    expect(page.get_by_test_id("current-rate")).to_contain_text("running at 20 mL/h")

    # Too fast for the plan (minute 30: the label's 41 mL/h): refused with the reason.
    record(page, "rate_changed", {"rate_ml_per_h": "64"}, when=minutes_ago(15))
    expect(page.get_by_test_id("entry-error")).to_contain_text("above 41 mL/h")
    record(page, "rate_changed", {"rate_ml_per_h": "41"}, when=minutes_ago(15))
    expect(page.get_by_test_id("current-rate")).to_contain_text("running at 41 mL/h")

    vitals = {"bp_systolic_mmhg": "124", "bp_diastolic_mmhg": "78", "pulse_per_min": "84"}
    record(page, "vital_signs", vitals, when=minutes_ago(12))
    expect(page.get_by_test_id("entry-vital_signs")).to_contain_text("BP 124/78 mmHg")

    form = page.get_by_test_id("form-adverse_event")
    page.get_by_test_id("open-adverse_event").click()
    form.get_by_label("Skin rash").check()
    form.locator('[name="severity"]').select_option("mild")
    form.locator('[name="action"]').fill("Stopped; cetirizine given")
    form.locator('[name="occurred_at"]').fill(minutes_ago(10))
    form.get_by_test_id("submit-adverse_event").click()
    expect(page.get_by_test_id("current-rate")).to_contain_text("stopped")

    record(page, "restarted", {"rate_ml_per_h": "34"}, when=minutes_ago(5))
    expect(page.get_by_test_id("restart-plan")).to_contain_text("Restarted")
    expect(page.get_by_test_id("current-rate")).to_contain_text("running at 34 mL/h")
    # After a restart the rate is not increased again.
    record(page, "rate_changed", {"rate_ml_per_h": "41"}, when=minutes_ago(3))
    expect(page.get_by_test_id("entry-error")).to_contain_text("not increased again")

    # 15 mL of the day's 250 mL (at most what the recorded rates ran, with 10 % and 5 mL):
    # recorded and shown as a partial dose, with its grams.
    record(page, "completed", {"volume_ml": "15", "grams_given": "1.5"})
    expect(page.get_by_test_id("session-status")).to_have_text("Completed: partial dose")
    expect(page.get_by_test_id("given")).to_have_text(
        "Partial dose: 15 mL (1.5 g) of the day's 250 mL (25 g) given."
    )
    expect(page.get_by_test_id("entry-completed")).to_contain_text("15 mL, 1.5 g given")

    session = InfusionSession.objects.get(order=order, day_number=1)
    kinds = list(session.entries.order_by("occurred_at", "pk").values_list("kind", flat=True))
    assert kinds == [
        "premedication_given",
        "started",
        "rate_changed",
        "vital_signs",
        "adverse_event",
        "restarted",
        "completed",
    ]
    assert {entry.recorded_by for entry in session.entries.all()} == {nurse}


@journey
def test_due_within_changes_the_cycles_to_book_without_a_button(page, sign_in, nurse):
    """The schedule's "Due within" select submits itself (a static script, not an inline
    handler the site's CSP blocks): a cycle due in 20 days shows once 28 days are chosen."""
    later = verified_order(start_date=timezone.localdate() + timedelta(days=20))
    sign_in(nurse)
    expect(page.get_by_test_id(f"book-{later.pk}")).to_have_count(0)  # 14 days by default
    page.wait_for_load_state("load")  # the select's script is deferred: run once parsed
    page.get_by_test_id("to-book-window-select").select_option("28")
    expect(page).to_have_url(re.compile(r"window=28"))
    expect(page.get_by_test_id(f"book-{later.pk}")).to_be_visible()
