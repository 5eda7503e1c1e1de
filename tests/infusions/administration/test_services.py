"""The administration record's rules (docs/clinical-rules.md 3.5, 6) through
``infusions.administration``.

docs/api.md's worked example, rules v3: titration 20 mL/h (0-30 min), 41 (30-60), 82 (60-90), then
124, 139, 154, 169 every 15 minutes and 184 from minute 150 to the end at 161; 250 mL a day.
Sessions run yesterday from 09:00 so that every entry is in the past and on the day.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from formulary.models import Product
from infusions.administration import services as administration
from infusions.administration.entries import Note, parse_entry
from infusions.errors import InfusionError
from infusions.models import AdministrationEntry, AppendOnlyError, InfusionSession
from infusions.schedule.selectors import session_plan_at_clock_times
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(nurse):
    order = verified_order(status=OrderStatus.ACTIVE)
    return session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)


def record(session, nurse, kind, clock, correction_of=None, **data):
    """As the page and the API record: the entry validated as its kind, then the service."""
    return administration.administration_record(
        session,
        parse_entry({"kind": kind, **data}),
        by=nurse,
        occurred_at=yesterday_at(clock),
        correction_of=correction_of,
    )


def refused(code: str, session, nurse, kind, clock, **data) -> InfusionError:
    with pytest.raises(InfusionError) as error:
        record(session, nurse, kind, clock, **data)
    assert error.value.code == code, error.value.message
    return error.value


def vitals(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "bp_systolic_mmhg": 120,
        "bp_diastolic_mmhg": 80,
        "pulse_per_min": 70,
    }
    return {**values, **changes}


@pytest.fixture
def started(session, nurse):
    record(session, nurse, "premedication_given", "09:05")
    record(session, nurse, "started", "09:30")
    return session


def test_a_whole_infusion(session, nurse) -> None:
    premed = record(session, nurse, "premedication_given", "09:05")
    assert premed.details == "diphenhydramine 25 mg PO; acetaminophen 500 mg PO"
    record(session, nurse, "iv_access", "09:10", details="Left forearm, 22 G")
    record(
        session, nurse, "lot_recorded", "09:12", lot_number="P123", vial_size_g="20", vial_count=1
    )
    record(
        session, nurse, "lot_recorded", "09:12", lot_number="P124", vial_size_g="5", vial_count=1
    )
    record(
        session,
        nurse,
        "vital_signs",
        "09:25",
        bp_systolic_mmhg=120,
        bp_diastolic_mmhg=80,
        pulse_per_min=72,
    )
    start = record(session, nurse, "started", "09:30")
    assert start.rate_ml_per_h == 20  # the plan's first rate
    session.refresh_from_db()
    assert session.status == "in_progress"
    record(session, nurse, "rate_changed", "09:45", rate_ml_per_h=15)
    record(session, nurse, "rate_changed", "10:00", rate_ml_per_h=41)
    record(
        session, nurse, "vital_signs", "10:00",
        bp_systolic_mmhg=118, bp_diastolic_mmhg=76, pulse_per_min=80,
        temperature_c="37.1", respiratory_rate_per_min=16,
    )  # fmt: skip
    record(
        session, nurse, "adverse_event", "10:10",
        symptoms=["headache", "fever"], severity="moderate", action="Stopped, paracetamol",
    )  # fmt: skip
    record(session, nurse, "restarted", "10:40", rate_ml_per_h=41)
    # 20 x 15 + 15 x 15 + 41 x 10 + 41 x 320 minutes = 234.3 mL; with 10 % and 5 mL, 250 fits
    record(session, nurse, "completed", "16:00", volume_ml="250", grams_given="25")
    session.refresh_from_db()
    assert session.status == "completed"
    assert session.entries.count() == 12
    assert {entry.recorded_by for entry in session.entries.all()} == {nurse}
    assert session.entries.get(kind="adverse_event").symptoms == ["fever", "headache"]


def test_no_time_in_the_future_but_a_minute_of_skew(session, nurse) -> None:
    with pytest.raises(InfusionError) as error:
        administration.administration_record(
            session, Note(details="x"), by=nurse,
            occurred_at=timezone.now() + timedelta(minutes=2),
        )  # fmt: skip
    assert error.value.code == InfusionError.IN_FUTURE
    administration.administration_record(
        session, Note(details="x"), by=nurse,
        occurred_at=timezone.now() + timedelta(seconds=50),
    )  # fmt: skip


def test_the_start_needs_a_verified_or_active_order(session, nurse) -> None:
    assert administration.session_start_blockers(session) == []
    session.order.status = OrderStatus.DISCONTINUED
    session.order.save()
    error = refused("cannot_start", session, nurse, "started", "09:30")
    assert "discontinued" in error.message
    assert administration.session_start_blockers(session)


def test_the_start_is_on_the_planned_day(nurse) -> None:
    order = verified_order()
    planned = yesterday_at("09:00") - timedelta(days=1)
    session = session_for(order, ChairFactory.create(), planned, by=nurse)
    error = refused("cannot_start", session, nurse, "started", "09:30")
    assert "move it" in error.message


def test_start_once_and_not_above_the_first_rate(session, nurse) -> None:
    refused("rate_above_plan", session, nurse, "started", "09:30", rate_ml_per_h=21)
    administration.session_start(session, by=nurse, at=yesterday_at("09:30"), rate_ml_per_h=15)
    refused("cannot_start", session, nurse, "started", "09:31")


@pytest.mark.parametrize("kind", ["rate_changed", "adverse_event", "restarted", "completed"])
def test_in_infusion_entries_need_the_start(session, nurse, kind) -> None:
    data_by_kind: dict[str, dict[str, Any]] = {
        "rate_changed": {"rate_ml_per_h": 20},
        "adverse_event": {"symptoms": ["fever"], "severity": "mild"},
        "restarted": {"rate_ml_per_h": 20},
        "completed": {"volume_ml": "1", "grams_given": "0.1"},
    }
    refused("not_started", session, nurse, kind, "09:30", **data_by_kind[kind])


def test_in_infusion_entries_not_before_the_last_rate_entry(started, nurse) -> None:
    refused("out_of_sequence", started, nurse, "rate_changed", "09:29", rate_ml_per_h=15)
    record(started, nurse, "rate_changed", "10:05", rate_ml_per_h=41)
    refused("out_of_sequence", started, nurse, "rate_changed", "10:00", rate_ml_per_h=40)
    # Vital signs and notes may be recorded late, in any order.
    record(
        started,
        nurse,
        "vital_signs",
        "09:35",
        bp_systolic_mmhg=120,
        bp_diastolic_mmhg=80,
        pulse_per_min=70,
    )


def test_rate_changes_follow_the_plan_at_the_clock(started, nurse) -> None:
    # 09:59 is minute 29 (20 mL/h); 10:00 is minute 30 (41 mL/h); 10:30 is minute 60 (82).
    error = refused("rate_above_plan", started, nurse, "rate_changed", "09:59", rate_ml_per_h=41)
    assert "20 mL/h" in error.message
    record(started, nurse, "rate_changed", "10:00", rate_ml_per_h=41)
    refused("rate_above_plan", started, nurse, "rate_changed", "10:20", rate_ml_per_h=82)
    record(started, nurse, "rate_changed", "10:30", rate_ml_per_h=82)
    record(started, nurse, "rate_changed", "10:35", rate_ml_per_h=40)  # slower is always allowed
    refused("invalid", started, nurse, "rate_changed", "10:36", rate_ml_per_h=0)


def test_never_above_200_ml_per_h(started, nurse) -> None:
    error = refused("rate_above_plan", started, nurse, "rate_changed", "14:00", rate_ml_per_h=201)
    assert "184 mL/h" in error.message  # the plan's top (the volume ends before 200)


def test_an_adverse_event_stops_the_infusion(started, nurse) -> None:
    record(started, nurse, "rate_changed", "10:00", rate_ml_per_h=41)
    record(started, nurse, "adverse_event", "10:05", symptoms=["skin_rash"], severity="mild")
    refused("infusion_stopped", started, nurse, "rate_changed", "10:10", rate_ml_per_h=20)
    refused(
        "infusion_stopped",
        started,
        nurse,
        "adverse_event",
        "10:10",
        symptoms=["fever"],
        severity="mild",
    )
    # A restart at the rate at the stop or lower; then never faster.
    refused("rate_above_plan", started, nurse, "restarted", "10:20", rate_ml_per_h=42)
    record(started, nurse, "restarted", "10:20", rate_ml_per_h=40)
    error = refused("rate_above_plan", started, nurse, "rate_changed", "11:00", rate_ml_per_h=41)
    assert "not increased again" in error.message
    record(started, nurse, "rate_changed", "11:00", rate_ml_per_h=30)
    refused("rate_above_plan", started, nurse, "rate_changed", "11:10", rate_ml_per_h=40)


def test_a_restart_needs_a_stop(started, nurse) -> None:
    refused("invalid", started, nurse, "restarted", "09:40", rate_ml_per_h=30)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"symptoms": ["nausea"], "severity": "mild"}, "symptoms"),
        ({"symptoms": [], "severity": "mild"}, "symptoms"),
        ({"symptoms": ["fever"], "severity": "awful"}, "severity"),
        ({"symptoms": ["fever"]}, "severity"),
    ],
)
def test_adverse_events_from_the_watch_list(started, nurse, data, field) -> None:
    assert refused("invalid", started, nurse, "adverse_event", "09:40", **data).field == field


def test_completion_within_the_day_dose(started, nurse) -> None:
    record(started, nurse, "rate_changed", "10:00", rate_ml_per_h=41)
    record(started, nurse, "rate_changed", "10:30", rate_ml_per_h=82)
    refused("invalid", started, nurse, "completed", "13:30", volume_ml="251", grams_given="25")
    refused("invalid", started, nurse, "completed", "13:30", volume_ml="250", grams_given="25.5")
    refused("invalid", started, nurse, "completed", "13:30", volume_ml="-1", grams_given="2")
    record(started, nurse, "completed", "13:30", volume_ml="240", grams_given="24")
    started.refresh_from_db()
    assert started.status == "completed"
    refused("recording_closed", started, nurse, "note", "13:05", details="late")


def test_nothing_is_recorded_on_a_cancelled_session(session, nurse) -> None:
    InfusionSession.objects.filter(pk=session.pk).update(status="cancelled")
    refused("recording_closed", session, nurse, "premedication_given", "09:05")


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("vital_signs", vitals(pulse_per_min=None), "pulse_per_min"),
        ("vital_signs", vitals(bp_systolic_mmhg=1200), "bp_systolic_mmhg"),
        ("vital_signs", vitals(temperature_c="52"), "temperature_c"),
        ("vital_signs", vitals(bp_systolic_mmhg="abc"), "bp_systolic_mmhg"),
        ("lot_recorded", {"lot_number": "L1", "vial_size_g": "7", "vial_count": 1}, "vial_size_g"),
        ("lot_recorded", {"lot_number": "L1", "vial_size_g": "5", "vial_count": 0}, "vial_count"),
        ("lot_recorded", {"vial_size_g": "5", "vial_count": 1}, "lot_number"),
        ("iv_access", {}, "details"),
        ("note", {"details": "x", "rate_ml_per_h": 30}, "rate_ml_per_h"),
    ],
)
def test_each_kind_checks_its_fields(session, nurse, kind, data, field) -> None:
    assert refused("invalid", session, nurse, kind, "09:05", **data).field == field


def test_entries_are_append_only(session, nurse) -> None:
    entry = record(session, nurse, "note", "09:05", details="x")
    entry.details = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AdministrationEntry.objects.get(pk=entry.pk).details == "x"


def test_corrections_are_new_entries(started, nurse) -> None:
    vitals = record(
        started,
        nurse,
        "vital_signs",
        "09:35",
        bp_systolic_mmhg=210,
        bp_diastolic_mmhg=80,
        pulse_per_min=70,
    )
    fixed = record(
        started, nurse, "vital_signs", "09:35",
        bp_systolic_mmhg=120, bp_diastolic_mmhg=80, pulse_per_min=70, correction_of=vitals,
    )  # fmt: skip
    assert list(vitals.corrections.all()) == [fixed]
    start = started.entries.get(kind="started")
    # What happened to the patient is corrected by a note, never by a new start or rate.
    refused(
        "invalid",
        started,
        nurse,
        "vital_signs",
        "09:36",
        bp_systolic_mmhg=120,
        bp_diastolic_mmhg=80,
        pulse_per_min=70,
        correction_of=start,
    )
    record(started, nurse, "note", "09:36", details="Started 09:31 in fact", correction_of=start)
    refused(
        "invalid",
        started,
        nurse,
        "note",
        "09:36",
        details="wrong kind",
        correction_of=None,
        rate_ml_per_h=3,
    )
    other = session_for(verified_order(), ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    elsewhere = record(other, nurse, "note", "09:00", details="x")
    refused("invalid", started, nurse, "note", "09:40", details="x", correction_of=elsewhere)


def test_plan_at_clock_times_before_the_start(session) -> None:
    plan = session_plan_at_clock_times(session)
    assert plan.premedication_at == yesterday_at("09:00")
    assert plan.infusion_start == yesterday_at("09:30")
    assert [(step.at, step.rate_ml_per_h) for step in plan.steps[:3]] == [
        (yesterday_at("09:30"), 20),
        (yesterday_at("10:00"), 41),
        (yesterday_at("10:30"), 82),
    ]
    assert [step.limited_by for step in plan.steps[:4]] == [
        "label_step",
        "label_step",
        "label_step",
        "protocol",
    ]
    # Vital checks 0, 30, 60, 90, 120, 150 and the end, 161 minutes after the start.
    assert plan.vital_checks == [
        yesterday_at(clock)
        for clock in ("09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:11")
    ]
    assert plan.infusion_end == yesterday_at("12:11")
    assert plan.chair_until == yesterday_at("12:41")
    assert "Moderate to severe headache" in plan.watch_list


def test_plan_at_clock_times_follows_the_start_and_the_restart(started, nurse) -> None:
    # Started 09:30 at 20; 41 from 10:00; stopped at 10:05 (10 + 3.4 = 13.4 mL given).
    record(started, nurse, "rate_changed", "10:00", rate_ml_per_h=41)
    record(started, nurse, "adverse_event", "10:05", symptoms=["fever"], severity="mild")
    record(started, nurse, "restarted", "10:25", rate_ml_per_h=40)
    plan = session_plan_at_clock_times(started)
    assert plan.restart is not None
    assert plan.restart.volume_given_ml == Decimal("13.4")
    assert plan.restart.remaining_volume_ml == Decimal("236.6")
    # 236.6 mL at 40 mL/h: 354.9 -> 355 minutes from 10:25 = 16:20.
    assert plan.infusion_end == yesterday_at("16:20")
    assert [(s.at, s.rate_ml_per_h) for s in plan.steps] == [
        (yesterday_at("09:30"), 20),
        (yesterday_at("10:00"), 41),
        (yesterday_at("10:25"), 40),
    ]
    # Checks before the restart as planned; from it every 60 minutes and at the end.
    assert plan.vital_checks == [
        yesterday_at(clock)
        for clock in (
            "09:30",
            "10:00",
            "10:25",
            "11:25",
            "12:25",
            "13:25",
            "14:25",
            "15:25",
            "16:20",
        )
    ]


# 32 minutes at 20 mL/h is 10.7 mL (shown to 0.1); with 10 % and 5 mL at most 16.77 -> 16.8 mL
# (1.68 g at 10 %).
def test_a_completion_is_no_more_than_the_recorded_rates_allow(started, nurse) -> None:
    error = refused(
        "more_than_record_allows", started, nurse, "completed", "10:02",
        volume_ml="246", grams_given="1",
    )  # fmt: skip
    assert error.field == "volume_ml" and "16.8 mL" in error.message
    assert refused(
        "more_than_record_allows", started, nurse, "completed", "10:02",
        volume_ml="16.9", grams_given="1",
    ).field == "volume_ml"  # fmt: skip
    assert refused(
        "more_than_record_allows", started, nurse, "completed", "10:02",
        volume_ml="16.8", grams_given="1.7",
    ).field == "grams_given"  # fmt: skip
    record(started, nurse, "completed", "10:02", volume_ml="16.8", grams_given="1.68")


def test_a_stop_counts_no_volume_until_the_restart(started, nurse) -> None:
    record(started, nurse, "adverse_event", "10:00", symptoms=["headache"], severity="mild")
    # 30 minutes at 20 mL/h (10 mL), then stopped: at most 16 mL however late.
    refused("more_than_record_allows", started, nurse, "completed", "12:00",
            volume_ml="16.1", grams_given="1")  # fmt: skip
    record(started, nurse, "completed", "12:00", volume_ml="16", grams_given="1.6")


def test_an_entry_before_the_sessions_day_is_refused(started, nurse) -> None:
    with pytest.raises(InfusionError) as error:
        administration.administration_record(
            started,
            parse_entry({"kind": "note", "details": "x"}),
            by=nurse,
            occurred_at=yesterday_at("23:00") - timedelta(days=1),
        )
    assert (error.value.code, error.value.field) == ("before_session_day", "occurred_at")


def test_an_entry_in_the_future_is_refused(started, nurse) -> None:
    with pytest.raises(InfusionError) as error:
        administration.administration_record(
            started,
            parse_entry({"kind": "note", "details": "x"}),
            by=nurse,
            occurred_at=timezone.now() + timedelta(minutes=5),
        )
    assert (error.value.code, error.value.field) == ("in_future", "occurred_at")


# --- what each refusal says, what each entry records (docs/clinical-rules.md 3.5, 6) ---------
# Written for the survivors of the services mutation run (docs/mutation-testing.md): the nurse
# reads the refusal, so its words, its field and its code are the rule as much as the refusal.


def said(error: InfusionError) -> tuple[str, str, str | None]:
    return error.code, error.message, error.field


def test_a_completion_over_the_day_says_which_limit_and_field(started, nurse) -> None:
    record(started, nurse, "rate_changed", "10:00", rate_ml_per_h=41)
    record(started, nurse, "rate_changed", "10:30", rate_ml_per_h=82)
    over_volume = refused(
        "invalid", started, nurse, "completed", "13:30", volume_ml="251", grams_given="25"
    )
    assert said(over_volume) == (
        "invalid",
        "251 mL is more than the day's 250 mL.",
        "volume_ml",
    )
    over_dispensed = refused(
        "invalid", started, nurse, "completed", "13:30", volume_ml="250", grams_given="25.5"
    )
    assert said(over_dispensed) == (
        "invalid",
        "25.5 g is more than the 25 g dispensed for the day.",
        "grams_given",
    )


def test_a_completion_over_the_recorded_rates_says_the_time_and_the_grams(started, nurse) -> None:
    volume = refused(
        "more_than_record_allows", started, nurse, "completed", "10:02",
        volume_ml="16.9", grams_given="1",
    )  # fmt: skip
    assert volume.message == (
        "16.9 mL is more than the recorded rates allow by 10:02 (at most 16.8 mL: 10.7 mL plus "
        "10 % and 5 mL). Record the rate changes first, or check the volume and time."
    )
    grams = refused(
        "more_than_record_allows", started, nurse, "completed", "10:02",
        volume_ml="16.8", grams_given="1.7",
    )  # fmt: skip
    assert said(grams) == (
        "more_than_record_allows",
        "1.7 g is more than the recorded rates allow by 10:02 (at most 1.68 g at 10 %).",
        "grams_given",
    )


def test_only_a_stopped_infusion_restarts_and_never_faster(started, nurse) -> None:
    running = refused("invalid", started, nurse, "restarted", "09:40", rate_ml_per_h=20)
    assert said(running) == (
        "invalid",
        "Only an infusion stopped by an adverse event restarts.",
        None,
    )
    record(started, nurse, "adverse_event", "09:45", symptoms=["fever"], severity="mild")
    faster = refused("rate_above_plan", started, nurse, "restarted", "10:00", rate_ml_per_h=21)
    assert said(faster) == (
        "rate_above_plan",
        "21 mL/h is above 20 mL/h, the rate at the stop: a restart is at the same or a lower rate.",
        "rate_ml_per_h",
    )
    record(started, nurse, "restarted", "10:00", rate_ml_per_h=20)
    # Running again after the restart: a second restart has no stop to follow.
    again = refused("invalid", started, nurse, "restarted", "10:05", rate_ml_per_h=10)
    assert again.message == "Only an infusion stopped by an adverse event restarts."


def test_session_start_records_the_rate_and_the_reason_given(session, nurse) -> None:
    near = administration.session_start(
        session, by=nurse, at=yesterday_at("09:30"), rate_ml_per_h=15
    )
    assert (near.rate_ml_per_h, near.details) == (15, "")  # no reason asked, none recorded


def test_session_start_far_from_the_booking_keeps_the_reason_stripped(session, nurse) -> None:
    far = administration.session_start(
        session, by=nurse, at=yesterday_at("11:00"), reason="  Transport late  "
    )
    assert (far.rate_ml_per_h, far.details) == (20, "Transport late")


def started_session_of(nurse, **order_values: Any) -> InfusionSession:
    order = verified_order(status=OrderStatus.ACTIVE, **order_values)
    session = session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    record(session, nurse, "started", "09:30")
    return session


def test_grams_dispensed_count_every_vial_of_each_size(nurse) -> None:
    # Asceniv comes in 5 g vials only: the worked example's 25 g a day is five of them.
    session = started_session_of(nurse, product=Product.objects.get(slug="asceniv"))
    over = refused(
        "invalid", session, nurse, "completed", "09:40", volume_ml="1", grams_given="25.5"
    )
    assert said(over) == (
        "invalid",
        "25.5 g is more than the 25 g dispensed for the day.",
        "grams_given",
    )
    # Within the vials: what refuses 20 g after ten minutes is the record, not the vials.
    assert refused(
        "more_than_record_allows", session, nurse, "completed", "09:40",
        volume_ml="1", grams_given="20",
    ).field == "grams_given"  # fmt: skip


def test_grams_within_the_vials_but_over_the_day_dose_name_the_day(nurse) -> None:
    # 1.3 g/kg over 5 days: 17.9 g a day from one 20 g vial.
    session = started_session_of(nurse, total_dose_g_per_kg=Decimal("1.3"))
    over = refused("invalid", session, nurse, "completed", "09:40", volume_ml="1", grams_given="18")
    assert said(over) == ("invalid", "18 g is more than the day's 17.9 g.", "grams_given")


def test_in_infusion_refusals_say_why_and_which_field(session, nurse) -> None:
    not_started = refused("not_started", session, nurse, "rate_changed", "09:30", rate_ml_per_h=20)
    assert said(not_started) == ("not_started", "The infusion has not started yet.", None)
    record(session, nurse, "started", "09:30")
    # The same minute as the last rate entry is in sequence; a minute before it is not.
    record(session, nurse, "rate_changed", "09:30", rate_ml_per_h=15)
    early = refused("out_of_sequence", session, nurse, "rate_changed", "09:29", rate_ml_per_h=10)
    assert said(early) == (
        "out_of_sequence",
        "The last start, rate or stop was recorded at 09:30: this cannot be earlier.",
        "occurred_at",
    )
    record(session, nurse, "adverse_event", "09:40", symptoms=["fever"], severity="mild")
    stopped = refused("infusion_stopped", session, nurse, "rate_changed", "09:45", rate_ml_per_h=10)
    assert stopped.message == "The infusion is stopped after an adverse event: restart it first."
    again = refused(
        "infusion_stopped", session, nurse, "adverse_event", "09:45",
        symptoms=["fever"], severity="mild",
    )  # fmt: skip
    assert again.message == "The infusion is already stopped; record further symptoms as a note."


def test_after_a_restart_the_rate_now_caps_only_below_the_plans_rate(started, nurse) -> None:
    record(started, nurse, "rate_changed", "10:00", rate_ml_per_h=41)
    record(started, nurse, "adverse_event", "10:05", symptoms=["fever"], severity="mild")
    record(started, nurse, "restarted", "10:20", rate_ml_per_h=41)
    # Restarted at 41, the plan's rate until minute 60: the plan is what caps, and says so.
    error = refused("rate_above_plan", started, nurse, "rate_changed", "10:25", rate_ml_per_h=42)
    assert error.message == "42 mL/h is above 41 mL/h, the plan's rate 55 minutes after the start."
    # From minute 60 the plan allows 82: the rate now (41) caps.
    error = refused("rate_above_plan", started, nurse, "rate_changed", "10:30", rate_ml_per_h=42)
    assert error.message == (
        "42 mL/h is above 41 mL/h, the rate now: after a restart it is not increased again."
    )


def test_the_plans_top_rate_is_named_as_the_plans_up_to_200_ml_per_h(nurse) -> None:
    # Two days of 2 g/kg (650 mL a day) run long enough to reach 200 mL/h, the plan's top.
    session = started_session_of(nurse, days_per_cycle=2)
    error = refused("rate_above_plan", session, nurse, "rate_changed", "13:30", rate_ml_per_h=201)
    assert error.message == (
        "201 mL/h is above 200 mL/h, the plan's rate 240 minutes after the start."
    )


def test_a_reaction_plans_cap_limits_rate_changes_and_is_named(nurse, clinician) -> None:
    """docs/clinical-rules.md 3.8.3: a later session runs under the reaction plan's maximum."""
    from infusions.reactions.services import reaction_plan_record
    from tests.orders.factories import PatientWeightFactory

    two_days_ago = timezone.localdate() - timedelta(days=2)
    order = verified_order(status=OrderStatus.ACTIVE, start_date=two_days_ago)
    PatientWeightFactory.create(
        patient=order.patient,
        weight_kg=Decimal("82.5"),
        measured_on=two_days_ago - timedelta(days=18),
        recorded_by=nurse,
    )
    chair = ChairFactory.create()
    first = session_for(order, chair, yesterday_at("09:00") - timedelta(days=1), by=nurse)
    later = session_for(order, chair, yesterday_at("09:00"), by=nurse, day_number=2)
    for kind, data in (("started", {}), ("adverse_event", {"symptoms": ["fever"]})):
        administration.administration_record(
            first,
            parse_entry({"kind": kind, "severity": "moderate", **data} if data else {"kind": kind}),
            by=nurse,
            occurred_at=yesterday_at("09:30" if kind == "started" else "09:50") - timedelta(days=1),
        )
    reaction = first.entries.get(kind="adverse_event")
    reaction_plan_record(reaction, by=clinician, max_rate_ml_per_h=41, bookings_to_move=True)
    record(later, nurse, "started", "09:30")
    # The session's plan is capped at 41 already: from minute 60 the order's plan allows 82,
    # and the refusal names the reaction plan that holds it down (it named "the plan's rate"
    # until the mutation run showed the reaction plan's words were never reached).
    for clock in ("10:00", "10:30"):
        capped = refused("rate_above_plan", later, nurse, "rate_changed", clock, rate_ml_per_h=50)
        assert capped.message == (
            "50 mL/h is above 41 mL/h, the maximum rate of the plan for an earlier reaction."
        )
    # Below the cap the plan's own step is what limits, and is named.
    early = refused("rate_above_plan", later, nurse, "rate_changed", "09:45", rate_ml_per_h=30)
    assert early.message == "30 mL/h is above 20 mL/h, the plan's rate 15 minutes after the start."


def test_a_rate_is_at_least_1_ml_per_h_on_the_rate_field(started, nurse) -> None:
    zero = refused("invalid", started, nurse, "rate_changed", "09:40", rate_ml_per_h=0)
    # On the form's rate field (it named a field "rate" no form has, so the page showed it apart).
    assert said(zero) == (
        "invalid",
        "A rate is at least 1 mL/h (an adverse event stops the infusion).",
        "rate_ml_per_h",
    )
    assert record(started, nurse, "rate_changed", "09:40", rate_ml_per_h=1).rate_ml_per_h == 1


@pytest.mark.parametrize(
    ("minutes", "words"), [(45, "45 min"), (60, "1 h"), (61, "1 h 1 min"), (120, "2 h")]
)
def test_a_duration_reads_in_hours_and_minutes(minutes, words) -> None:
    assert administration._duration(timedelta(minutes=minutes)) == words
    assert administration._duration(-timedelta(minutes=minutes)) == words


def test_a_start_is_far_from_its_booking_beyond_an_hour_either_side(session) -> None:
    """docs/clinical-rules.md 6: booked 09:00 with 30 minutes of premedication, the infusion
    at 09:30: a start from 08:00 to 10:30 needs no reason."""
    from infusions.booking.session_plan import session_runnable_plan

    plan = session_runnable_plan(session)
    assert plan.premedication_min_before == 30

    def far(clock: str, lead: int | None = 30) -> str | None:
        planned = plan.model_copy(update={"premedication_min_before": lead})
        return administration.start_far_from_booking(session, planned, yesterday_at(clock))

    assert far("08:00") is None
    assert far("07:59") == "1 h 1 min before the booked start (09:00)"
    assert far("07:00") == "2 h before the booked start (09:00)"
    assert far("10:30") is None
    assert far("10:31") == "1 h 1 min after the booked infusion start (09:30)"
    assert far("10:45") == "1 h 15 min after the booked infusion start (09:30)"
    # No premedication: the infusion is booked at the booked start itself.
    for lead in (0, None):
        assert far("10:00", lead) is None
        assert far("10:01", lead) == "1 h 1 min after the booked infusion start (09:00)"


def test_start_refusals_say_why_in_the_nurses_words(nurse) -> None:
    planned = yesterday_at("09:00") - timedelta(days=1)
    other_day = session_for(verified_order(), ChairFactory.create(), planned, by=nurse)
    assert said(refused("cannot_start", other_day, nurse, "started", "09:30")) == (
        "cannot_start",
        f"This session is planned for {planned:%d %b %Y}: move it to today before starting it.",
        None,
    )


def test_every_blocker_of_a_start_is_said_one_after_the_other(session, nurse) -> None:
    session.order.status = OrderStatus.DISCONTINUED
    session.order.save()
    session.order.authorizations.all().delete()
    blockers = administration.session_start_blockers(session)
    assert len(blockers) >= 2
    error = refused("cannot_start", session, nurse, "started", "09:30")
    assert error.message == " ".join(blockers)


def test_a_start_far_from_its_booking_needs_a_reason_then_records_it(session, nurse) -> None:
    far = refused("start_far_from_booking", session, nurse, "started", "07:59")
    assert said(far) == (
        "start_far_from_booking",
        "This start is 1 h 1 min before the booked start (09:00): give the reason in the details.",
        "details",
    )
    above = refused("rate_above_plan", session, nurse, "started", "09:30", rate_ml_per_h=21)
    assert above.message == "21 mL/h is above 20 mL/h, the plan's start."
    record(session, nurse, "started", "07:59", details="Early transport")
    session.refresh_from_db()
    latest = session.history.first()
    assert latest is not None
    assert latest.history_change_reason == (
        "Infusion started 1 h 1 min before the booked start (09:00): Early transport"
    )


def test_correction_refusals_say_what_a_correction_may_correct(started, nurse) -> None:
    vitals_entry = record(started, nurse, "vital_signs", "09:35", **vitals(bp_systolic_mmhg=210))
    start = started.entries.get(kind="started")
    state = refused(
        "invalid", started, nurse, "vital_signs", "09:36", correction_of=start, **vitals()
    )
    assert said(state) == (
        "invalid",
        "A start, rate, stop, restart or completion happened: correct it with a note.",
        "correction_of",
    )
    other_kind = refused(
        "invalid", started, nurse, "iv_access", "09:36", details="x", correction_of=vitals_entry
    )
    assert said(other_kind) == (
        "invalid",
        "A correction of vital signs is of the same kind (or a note).",
        "correction_of",
    )
    other = session_for(verified_order(), ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    elsewhere = record(other, nurse, "note", "09:00", details="x")
    wrong_session = refused(
        "invalid", started, nurse, "note", "09:40", details="x", correction_of=elsewhere
    )
    assert said(wrong_session) == (
        "invalid",
        "A correction corrects an entry of the same session.",
        "correction_of",
    )
    assert said(refusal_of_entry_to_correct(started, 10**9)) == (
        "invalid",
        "Entry #1000000000 is not in this session's record.",
        "correction_of",
    )
    assert said(refusal_of_entry_to_correct(started, elsewhere.pk)) == (
        "invalid",
        f"Entry #{elsewhere.pk} is not in this session's record.",
        "correction_of",
    )
    assert administration.entry_to_correct(started, None) is None
    assert administration.entry_to_correct(started, vitals_entry.pk) == vitals_entry


def refusal_of_entry_to_correct(session, entry_id: int) -> InfusionError:
    with pytest.raises(InfusionError) as error:
        administration.entry_to_correct(session, entry_id)
    return error.value


def test_each_entry_is_kept_with_its_words_in_the_sessions_history(session, nurse) -> None:
    wrong_size = refused(
        "invalid", session, nurse, "lot_recorded", "09:05",
        lot_number="L1", vial_size_g="7", vial_count=1,
    )  # fmt: skip
    assert said(wrong_size) == (
        "invalid",
        "Privigen comes in 5 g, 10 g, 20 g, 40 g vials.",
        "vial_size_g",
    )
    record(session, nurse, "started", "09:30")
    session.refresh_from_db()
    assert (session.status, session.version) == ("in_progress", 2)
    started = session.history.first()
    assert started is not None
    assert (started.history_change_reason, started.history_user) == ("Infusion started", nurse)
    record(session, nurse, "completed", "10:02", volume_ml="10", grams_given="1")
    session.refresh_from_db()
    assert (session.status, session.version, session.partial_dose) == ("completed", 3, True)
    completed = session.history.first()
    assert completed is not None and completed.history_change_reason.startswith(
        "Infusion completed. "
    )


def test_premedication_given_without_details_records_what_was_ordered(nurse) -> None:
    order = verified_order(status=OrderStatus.ACTIVE, premedication="")
    session = session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    given = record(session, nurse, "premedication_given", "09:05")
    assert given.details == "As ordered"


def test_recording_refusals_say_why_with_the_time(started, nurse) -> None:
    future = timezone.localtime() + timedelta(minutes=5)
    with pytest.raises(InfusionError) as error:
        administration.administration_record(
            started, Note(details="x"), by=nurse, occurred_at=future
        )
    assert said(error.value) == (
        "in_future",
        f"{future:%d %b %H:%M} is in the future.",
        "occurred_at",
    )
    before = yesterday_at("23:00") - timedelta(days=1)
    with pytest.raises(InfusionError) as error:
        administration.administration_record(
            started, Note(details="x"), by=nurse, occurred_at=before
        )
    assert said(error.value) == (
        "before_session_day",
        f"{before:%d %b %H:%M} is before the session's day ({started.planned_day:%d %b %Y}).",
        "occurred_at",
    )
    started.refresh_from_db()
    assert administration.session_start_blockers(started) == ["The session is in progress."]
    InfusionSession.objects.filter(pk=started.pk).update(status="cancelled")
    closed = refused("recording_closed", started, nurse, "note", "10:00", details="late")
    assert closed.message == "The session is cancelled: nothing more is recorded."


def test_recording_is_open_up_to_a_minute_ahead_and_from_the_sessions_day(
    started, monkeypatch
) -> None:
    """docs/clinical-rules.md 6: one minute of clock skew; unless told otherwise, the session's
    day is checked too."""
    from infusions.common import CLOCK_SKEW

    now = yesterday_at("12:00")
    monkeypatch.setattr(timezone, "now", lambda: now)
    administration.check_recording_open(started, now + CLOCK_SKEW)  # no refusal
    with pytest.raises(InfusionError) as ahead:
        administration.check_recording_open(started, now + CLOCK_SKEW + timedelta(seconds=1))
    assert ahead.value.code == "in_future"
    day_before = yesterday_at("23:00") - timedelta(days=1)
    with pytest.raises(InfusionError) as early:
        administration.check_recording_open(started, day_before)
    assert early.value.code == "before_session_day"
    administration.check_recording_open(started, day_before, day_checked=False)
