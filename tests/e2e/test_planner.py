"""A nurse opens the schedule, asks for a suggested plan, accepts it and sees the moved sessions
(docs/planner.md): three tentative sessions start at 08:00 under one nurse, more titrations at
once than the ratio allows; the planner spreads them and the accepted moves land through the
booking service.

Sessions and the shift are made in the database (the booking services have their own journeys);
the day is two days ahead, so the planner may move every tentative session.
"""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from infusions.models import InfusionSession
from tests.infusions.factories import local
from tests.infusions.planning.test_api import one_nurse, stacked

from .conftest import journey


@journey
def test_a_nurse_accepts_a_suggested_plan(page, sign_in, nurse):
    day = timezone.localdate() + timedelta(days=2)
    _, sessions = stacked(nurse, day, count=3)
    one_nurse(nurse, day)

    sign_in(nurse)
    page.goto(f"/infusions/?date={day:%Y-%m-%d}")
    expect(page.get_by_test_id("ratio-warning")).to_be_visible()
    page.get_by_test_id("suggest-plan").click()
    expect(page.get_by_test_id("planner-heading")).to_contain_text("Suggested plan")
    expect(page.get_by_test_id("planner-move").first).to_be_visible()
    moves = page.get_by_test_id("planner-move").count()
    assert moves >= 1
    page.get_by_test_id("planner-accept").click()

    expect(page.get_by_text(f"{moves} of {moves} suggested moves made.")).to_be_visible()
    expect(page.get_by_test_id("nurse-load")).to_be_visible()
    expect(page.get_by_test_id("ratio-warning")).to_have_count(0)
    moved = [
        s
        for s in sessions
        if InfusionSession.objects.get(pk=s.pk).planned_start != local(day, "08:00")
    ]
    assert len(moved) == moves
    rows = page.get_by_test_id("session-row")
    expect(rows.first).to_contain_text("08:00")
    expect(rows.last).not_to_contain_text("08:00\N{EN DASH}")
