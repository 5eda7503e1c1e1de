"""One "given so far" (``infusions.administration.given``), read the same on the session page,
the schedule and the API; a partial dose recorded as such; vital signs that cannot be (diastolic
not below systolic) refused on their field; a start far from the booking needs a reason.

docs/api.md's worked example under rules v3: 20, 41 and 82 mL/h for 30 minutes each (Privigen's
label steps), then +15 mL/h every 15 minutes; 250 mL and 25 g a day.
Sessions run yesterday from 09:00 so that every entry is in the past and on the day.
"""

import html
import math
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from infusions.administration import services as administration
from infusions.administration.entries import parse_entry
from infusions.administration.record import minutes_between
from infusions.booking.session_plan import session_runnable_plan
from infusions.models import InfusionSession
from ivig.engine.restart import RateSegment, volume_given_ml
from ivig.templatetags.clinical import num
from orders.dose_plans.plan_accessor import patient_calendar
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(nurse):
    order = verified_order(status=OrderStatus.ACTIVE)
    return session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)


def record(session, nurse, kind, clock, **data):
    when = clock if isinstance(clock, datetime) else yesterday_at(clock)
    return administration.administration_record(
        session, parse_entry({"kind": kind, **data}), by=nurse, occurred_at=when
    )


def text(page: bytes) -> str:
    """The page as a person reads it: tags out, spaces squeezed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.decode())))


def segment(rate: int, since: datetime, until: datetime) -> RateSegment:
    return RateSegment(rate, minutes_between(since, until))


def test_a_restart_says_what_was_given_before_it_not_after(session, nurse, client_for) -> None:
    """The restart line counts the record up to the restart: before, the rate after the restart
    (to the completion) was counted too, "331.9 mL given; 0 mL remain" for a 298 mL day."""
    plan = session_runnable_plan(session)
    assert plan.titration is not None and plan.daily_volume_ml is not None
    first, second, third = (step.rate_ml_per_h for step in plan.titration[:3])
    # Each rate change at its step's start minute in the plan (30 and 60 under rules v3).
    start = yesterday_at("09:30")
    at_second = start + timedelta(minutes=plan.titration[1].start_min)
    at_third = start + timedelta(minutes=plan.titration[2].start_min)
    stop = at_third + timedelta(minutes=10)
    record(session, nurse, "started", start)
    record(session, nurse, "rate_changed", at_second, rate_ml_per_h=second)
    record(session, nurse, "rate_changed", at_third, rate_ml_per_h=third)
    record(session, nurse, "adverse_event", stop, symptoms=["fever"], severity="mild")
    record(session, nurse, "restarted", stop + timedelta(minutes=30), rate_ml_per_h=second)
    # 20 x 0.5 h + 41 x 0.5 h + 82 x 10/60 h = 44.2 mL, then 41 mL/h from 11:10 to 16:00 (198 mL):
    # 250 mL is within what the recorded rates allow.
    record(session, nurse, "completed", "16:00", volume_ml="250", grams_given="25")
    before_stop = volume_given_ml(
        [
            segment(first, start, at_second),
            segment(second, at_second, at_third),
            segment(third, at_third, stop),
        ]
    )
    remain = Decimal(plan.daily_volume_ml) - before_stop
    page = text(
        client_for(nurse).get(reverse("infusions:session-detail", args=[session.pk])).content
    )
    assert f"after {num(before_stop)} mL given; {num(remain)} mL remain" in page
    # Completed: the completion's own numbers, the same on the page and through the API.
    assert "Completed: 250 mL (25 g) of the day's 250 mL (25 g) given." in page
    given = (
        client_for(nurse)
        .get(reverse("api-infusion-session-plan", args=[session.pk]))
        .json()["given"]
    )
    assert (Decimal(given["volume_ml"]), Decimal(given["grams"])) == (250, 25)
    assert given["partial_dose"] is False and given["recorded"] is True


def test_given_so_far_while_running_is_worked_out_and_never_more_than_the_day(
    session, nurse, client_for
) -> None:
    plan = session_runnable_plan(session)
    assert plan.titration is not None and plan.daily_volume_ml is not None
    rate = plan.titration[0].rate_ml_per_h
    record(session, nurse, "started", "09:30")
    record(session, nurse, "adverse_event", "09:50", symptoms=["fever"], severity="mild")
    so_far = volume_given_ml([segment(rate, yesterday_at("09:30"), yesterday_at("09:50"))])
    grams = (so_far * session.order.product.concentration_pct / 100).quantize(Decimal("0.01"))
    page = text(
        client_for(nurse).get(reverse("infusions:session-detail", args=[session.pk])).content
    )
    assert (
        f"Given so far: {num(so_far)} mL ({num(grams)} g) of the day's "
        f"{num(plan.daily_volume_ml)} mL" in page
    )


def test_a_partial_dose_counts_on_the_patients_calendar_by_the_grams_given(session, nurse):
    """The order's own completed day counts on the patient's calendar (docs/clinical-rules.md
    3.9: the 28-day maximum) by the grams given, not the grams planned."""
    record(session, nurse, "started", "09:30")
    record(session, nurse, "completed", "09:40", volume_ml="5", grams_given="0.5")
    days = patient_calendar(session.order).own_sessions
    (own,) = [day for day in days if day.day == session.planned_day]
    assert (own.cycle_number, own.given_g) == (session.cycle_number, Decimal("0.5"))


def test_completing_much_less_than_planned_is_a_partial_dose_everywhere(
    session, nurse, client_for
) -> None:
    record(session, nurse, "started", "09:30")
    record(session, nurse, "completed", "09:40", volume_ml="5", grams_given="0.5")
    session.refresh_from_db()
    assert session.status == "completed" and session.partial_dose
    assert "Partial dose: 5 mL (0.5 g)" in session.history.latest().history_change_reason
    client = client_for(nurse)
    page = text(client.get(reverse("infusions:session-detail", args=[session.pk])).content)
    assert "Completed: partial dose" in page
    assert "Partial dose: 5 mL (0.5 g) of the day's 250 mL (25 g) given." in page
    day = yesterday_at("09:00").date().isoformat()
    schedule = text(client.get(reverse("infusions:schedule") + f"?date={day}").content)
    assert "Completed: partial dose" in schedule
    api = client.get(reverse("api-infusion-session-detail", args=[session.pk])).json()
    assert api["partial_dose"] is True and api["status_label"] == "Completed: partial dose"
    given = client.get(reverse("api-infusion-session-plan", args=[session.pk])).json()["given"]
    assert given["partial_dose"] is True and Decimal(given["grams"]) == Decimal("0.5")


def test_a_whole_dose_is_not_partial(session, nurse) -> None:
    plan = session_runnable_plan(session)
    assert plan.titration is not None
    # Run as planned: each step's rate recorded at its start minute, completed when the last step
    # ends (rules v3: 150 + 10.4 minutes after the start, 250 mL given).
    start = yesterday_at("09:30")
    record(session, nurse, "started", start)
    for step in plan.titration[1:]:
        when = start + timedelta(minutes=step.start_min)
        record(session, nurse, "rate_changed", when, rate_ml_per_h=step.rate_ml_per_h)
    last = plan.titration[-1]
    end = start + timedelta(minutes=last.start_min + math.ceil(last.minutes))
    record(session, nurse, "completed", end, volume_ml="249", grams_given="24.9")
    assert not InfusionSession.objects.get(pk=session.pk).partial_dose


def test_diastolic_not_below_systolic_is_refused_on_its_field(session, nurse, client_for) -> None:
    client = client_for(nurse)
    url = reverse("infusions:session-record", args=[session.pk])
    response = client.post(
        url,
        {
            "kind": "vital_signs",
            "bp_systolic_mmhg": 80,
            "bp_diastolic_mmhg": 120,
            "pulse_per_min": 70,
        },
    )
    assert response.status_code == 200
    assert "not below the systolic 80" in text(response.content)
    assert not session.entries.exists()
    api = client.post(
        reverse("api-infusion-session-entries", args=[session.pk]),
        {
            "kind": "vital_signs",
            "bp_systolic_mmhg": 80,
            "bp_diastolic_mmhg": 80,
            "pulse_per_min": 70,
        },
        content_type="application/json",
    )
    assert api.status_code == 400 and set(api.json()["field_errors"]) == {"bp_diastolic_mmhg"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pulse_per_min", 300),
        ("temperature_c", "47"),
        ("respiratory_rate_per_min", 2),
        ("bp_systolic_mmhg", 350),
        ("bp_diastolic_mmhg", 10),
    ],
)
def test_implausible_vital_signs_are_refused(session, nurse, client_for, field, value) -> None:
    body = {"kind": "vital_signs", "bp_systolic_mmhg": 120, "bp_diastolic_mmhg": 80}
    body |= {"pulse_per_min": 70, field: value}
    response = client_for(nurse).post(
        reverse("api-infusion-session-entries", args=[session.pk]),
        body,
        content_type="application/json",
    )
    assert response.status_code == 400 and set(response.json()["field_errors"]) == {field}
    assert "not plausible" in response.json()["detail"]


def test_a_start_far_from_the_booking_needs_a_reason_kept_in_the_history(
    session, nurse, client_for
) -> None:
    """Booked 09:00 (infusion 09:30 after the premedication lead): 14:00 is far."""
    client = client_for(nurse)
    url = reverse("infusions:session-record", args=[session.pk])
    refused = client.post(
        url,
        {"kind": "started", "occurred_at": "", "details": ""}
        | {"occurred_at": yesterday_at("14:00").strftime("%Y-%m-%dT%H:%M")},
    )
    assert "after the booked infusion start" in text(refused.content)
    assert "give the reason" in text(refused.content)
    assert not session.entries.exists()
    api = client.post(
        reverse("api-infusion-session-start", args=[session.pk]),
        {"occurred_at": yesterday_at("14:00").isoformat(), "reason": "Transport was late."},
        content_type="application/json",
    )
    assert api.status_code == 201, api.json()
    session.refresh_from_db()
    assert "Transport was late." in session.history.latest().history_change_reason
    assert session.entries.get(kind="started").details == "Transport was late."


def test_a_start_near_the_booking_needs_no_reason(session, nurse) -> None:
    record(session, nurse, "started", "10:15")
    session.refresh_from_db()
    assert session.status == "in_progress"
