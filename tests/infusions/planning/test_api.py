"""The planner's API (docs/planner.md): suggestions checked rule by rule, accepting moves through
the booking service, nurses' shifts and the ratios, permissions and query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from infusions.models import InfusionSession, SessionStatus
from infusions.planning.models import NurseShift, StaffingPolicy
from infusions.planning.services import shift_save
from ivig.accounts.roles import Role
from orders.models import Order
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db

SUGGEST = "/api/v1/planner/suggestions/"
ACCEPT = "/api/v1/planner/accept/"


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=2)


def stacked(nurse, day, count=3, status=SessionStatus.TENTATIVE):
    """``count`` sessions starting at 08:00 in as many chairs, each 90 minutes in titration after
    a 30-minute premedication lead."""
    chairs = [ChairFactory.create() for _ in range(count)]
    sessions = []
    for chair in chairs:
        order = verified_order(start_date=day, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"))
        Order.objects.filter(pk=order.pk).update(
            plan_at_signing={"premedication_min_before": 30, "target_rate_reached_min": 90}
        )
        sessions.append(
            session_for(order, chair, local(day, "08:00"), by=nurse, minutes=240, status=status)
        )
    return chairs, sessions


def one_nurse(nurse, day):
    return shift_save(
        None,
        by=nurse,
        nurse=nurse,
        day=day,
        starts_at=local(day, "07:00").time(),
        ends_at=local(day, "20:00").time(),
    )


def test_suggestion_spreads_titrations_under_one_nurse(nurse, client_for, day):
    _, _sessions = stacked(nurse, day)
    one_nurse(nurse, day)
    answer = client_for(nurse).post(
        SUGGEST, {"date": day.isoformat()}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["violations"] == []
    assert body["measures"]["current"]["minutes_over_ratio"] == 90
    assert body["measures"]["proposed"]["minutes_over_ratio"] == 0
    assert body["measures"]["proposed"]["sessions_placed"] == 3
    # Titration starts spread (above keeping the patients' times): one titration at a time.
    assert body["measures"]["proposed"]["peak_titrations_per_nurse"] == 1
    assert len(body["moves"]) == 2
    assert all(m["chair"] == m["from"]["chair"] for m in body["moves"])
    assert body["status"] in ("OPTIMAL", "FEASIBLE")
    assert body["best_bound"] is not None


def test_accepting_moves_the_sessions_through_the_booking_service(nurse, client_for, day):
    _, _sessions = stacked(nurse, day)
    one_nurse(nurse, day)
    client = client_for(nurse)
    body = client.post(SUGGEST, {"date": day.isoformat()}, content_type="application/json").json()
    moves = [
        {"session": m["session"], "chair": m["chair"], "start": m["start"], "version": m["version"]}
        for m in body["moves"]
    ]
    answer = client.post(ACCEPT, {"moves": moves}, content_type="application/json")
    assert answer.status_code == 200, answer.json()
    assert all(row["moved"] for row in answer.json()["results"]), answer.json()
    moved = InfusionSession.objects.get(pk=moves[0]["session"])
    assert moved.planned_start != local(day, "08:00")
    assert moved.history.first().history_change_reason == "Moved: Planner suggestion accepted"


def test_booked_sessions_are_never_moved(nurse, client_for, day):
    stacked(nurse, day, status=SessionStatus.BOOKED)
    one_nurse(nurse, day)
    body = (
        client_for(nurse)
        .post(SUGGEST, {"date": day.isoformat()}, content_type="application/json")
        .json()
    )
    assert body["moves"] == []
    assert all(p["fixed"] for p in body["placements"])


def test_moves_that_break_the_ratio_are_refused(nurse, client_for, day):
    _chairs, _sessions = stacked(nurse, day, count=2)
    one_nurse(nurse, day)
    extra_chair = ChairFactory.create()
    order = verified_order(start_date=day, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"))
    Order.objects.filter(pk=order.pk).update(
        plan_at_signing={"premedication_min_before": 30, "target_rate_reached_min": 90}
    )
    late = session_for(
        order,
        extra_chair,
        local(day, "13:00"),
        by=nurse,
        minutes=240,
        status=SessionStatus.TENTATIVE,
    )
    move = {"session": late.pk, "chair": extra_chair.pk, "start": local(day, "08:00").isoformat()}
    answer = client_for(nurse).post(ACCEPT, {"moves": [move]}, content_type="application/json")
    assert answer.status_code == 400
    assert "titrations" in answer.json()["detail"]


def test_a_move_to_another_day_is_refused(nurse, client_for, day):
    chairs, sessions = stacked(nurse, day, count=1)
    move = {
        "session": sessions[0].pk,
        "chair": chairs[0].pk,
        "start": local(day + timedelta(days=1), "08:00").isoformat(),
    }
    answer = client_for(nurse).post(ACCEPT, {"moves": [move]}, content_type="application/json")
    assert answer.status_code == 400


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.PHARMACIST, Role.AUTHORIZATION_ADMIN])
def test_only_nurses_plan(role, users_by_role, client_for, day):
    client = client_for(users_by_role[role])
    assert (
        client.post(SUGGEST, {"date": day.isoformat()}, content_type="application/json").status_code
        == 403
    )
    assert client.post(ACCEPT, {"moves": []}, content_type="application/json").status_code == 403
    assert client.get(f"/api/v1/planner/shifts/?date={day}").status_code == 200
    assert (
        client.put(
            "/api/v1/planner/policy/",
            {"patients_per_nurse": 3, "titrations_per_nurse": 1},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_shifts_and_policy_through_the_api(nurse, clinician, client_for, day):
    client = client_for(nurse)
    answer = client.post(
        "/api/v1/planner/shifts/",
        {
            "nurse": nurse.pk,
            "day": day.isoformat(),
            "starts_at": "07:00",
            "ends_at": "15:00",
            "breaks": [{"starts_at": "11:00", "ends_at": "11:30"}],
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["breaks"] == [{"starts_at": "11:00:00", "ends_at": "11:30:00"}]
    listed = client.get(f"/api/v1/planner/shifts/?date={day}").json()
    assert [row["nurse"] for row in listed] == [nurse.pk]
    not_a_nurse = client.post(
        "/api/v1/planner/shifts/",
        {"nurse": clinician.pk, "day": day.isoformat(), "starts_at": "07:00", "ends_at": "15:00"},
        content_type="application/json",
    )
    assert not_a_nurse.status_code == 400
    bad_break = client.post(
        "/api/v1/planner/shifts/",
        {
            "nurse": nurse.pk,
            "day": (day + timedelta(days=1)).isoformat(),
            "starts_at": "07:00",
            "ends_at": "15:00",
            "breaks": [{"starts_at": "16:00", "ends_at": "16:30"}],
        },
        content_type="application/json",
    )
    assert bad_break.status_code == 400
    assert client.get("/api/v1/planner/policy/").json() == {
        "patients_per_nurse": 4,
        "titrations_per_nurse": 2,
    }
    put = client.put(
        "/api/v1/planner/policy/",
        {"patients_per_nurse": 3, "titrations_per_nurse": 4},
        content_type="application/json",
    )
    assert put.status_code == 400
    put = client.put(
        "/api/v1/planner/policy/",
        {"patients_per_nurse": 3, "titrations_per_nurse": 1},
        content_type="application/json",
    )
    assert put.status_code == 200
    assert StaffingPolicy.objects.get().history.first().history_user == nurse
    assert NurseShift.objects.get().history.first().history_user == nurse


def test_suggestion_queries_do_not_grow_with_sessions(nurse, client_for, day):
    one_nurse(nurse, day)
    client = client_for(nurse)
    stacked(nurse, day, count=2)
    with CaptureQueriesContext(connection) as few:
        client.post(SUGGEST, {"date": day.isoformat()}, content_type="application/json")
    stacked(nurse, day, count=4)
    with CaptureQueriesContext(connection) as more:
        client.post(SUGGEST, {"date": day.isoformat()}, content_type="application/json")
    assert len(more) == len(few)


def test_a_week_suggestion_keeps_every_rule(nurse, client_for, day):
    stacked(nurse, day, count=3)
    stacked(nurse, day + timedelta(days=1), count=2)
    one_nurse(nurse, day)
    one_nurse(nurse, day + timedelta(days=1))
    body = (
        client_for(nurse)
        .post(SUGGEST, {"date": day.isoformat(), "view": "week"}, content_type="application/json")
        .json()
    )
    assert len(body["days"]) == 7
    assert body["violations"] == []
    assert body["measures"]["proposed"]["minutes_over_ratio"] == 0


def test_no_nurse_on_shift_places_nothing_and_says_why(nurse, client_for, day):
    stacked(nurse, day, count=1)
    body = (
        client_for(nurse)
        .post(SUGGEST, {"date": day.isoformat()}, content_type="application/json")
        .json()
    )
    assert body["moves"] == []
    assert body["unplaced"][0]["reason"] == "No nurse is on shift for the whole session that day."


def test_bad_input_is_a_400(nurse, client_for):
    client = client_for(nurse)
    assert (
        client.post(SUGGEST, {"date": "soon"}, content_type="application/json").status_code == 400
    )
    assert (
        client.post(
            SUGGEST, {"date": "2026-01-01", "extra": 1}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            ACCEPT,
            {"moves": [{"session": 999999, "chair": 1, "start": "2026-12-30T08:00:00Z"}]},
            content_type="application/json",
        ).status_code
        == 400
    )
    assert client.get("/api/v1/planner/shifts/?date=soon").status_code == 400
    assert client.get("/api/v1/planner/shifts/").status_code == 200  # today
