"""The printed order sheet's titration (docs/clinical-rules.md 3.4, 3.5): clock times from the
planned start of the order's next session, the same as its session page, from the one clock-step
selector; minutes from the start while no session is booked."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.schedule.selectors import session_plan_at_clock_times
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db


def _sheet(client, order) -> str:
    return client.get(reverse("orders:order-print", args=[order.pk])).content.decode()


def test_the_sheet_shows_the_next_sessions_clock_times(nurse, client_for):
    order = verified_order()
    client = client_for(nurse)
    before = _sheet(client, order)
    assert "minutes from the start of the infusion" in before
    assert "+0 min" in before and 'data-testid="sheet-step-at"' not in before

    chair = ChairFactory.create()
    tomorrow = timezone.localdate() + timedelta(days=1)
    session = session_for(order, chair, local(tomorrow, "09:00"), by=nurse)
    session_for(order, chair, local(tomorrow + timedelta(days=1), "13:00"), by=nurse, day_number=2)
    sheet = _sheet(client, order)
    clock = session_plan_at_clock_times(session)
    shown = re.findall(r'data-testid="sheet-step-at">(\d\d:\d\d)<', sheet)
    assert shown == [f"{step.at:%H:%M}" for step in clock.steps]
    assert shown[0] != "09:00"  # the infusion starts after the premedication lead
    assert f"session planned on {tomorrow:%Y-%m-%d}" in sheet
    assert f"premedication at {clock.premedication_at:%H:%M}" in sheet
    assert "+0 min" not in sheet
    vitals = sheet.split('data-testid="sheet-vitals">')[1].split("</p>")[0]
    assert vitals == "Vital signs at: " + ", ".join(f"{c:%H:%M}" for c in clock.vital_checks)
    # The session page shows the same times.
    page = client.get(reverse("infusions:session-detail", args=[session.pk])).content.decode()
    steps = page.split('data-testid="plan-steps"')[1].split("</table>")[0]
    assert re.findall(r"<tr><td>(\d\d:\d\d)</td>", steps) == shown
