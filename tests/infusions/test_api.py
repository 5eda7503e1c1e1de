"""The infusions API through real URLs: roles, booking, moves, the record, filters, errors,
queries and the schema (docs/clinical-rules.md 6, 9)."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from infusions.models import Chair, InfusionSession
from ivig.accounts.roles import Role
from ivig.audit.models import AccessLog
from orders.models import OrderStatus

from .factories import ChairFactory, local, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db

CHAIRS = "/api/v1/chairs/"
SESSIONS = "/api/v1/infusion-sessions/"
READ_ONLY_ROLES = [Role.CLINICIAN, Role.PHARMACIST, Role.AUTHORIZATION_ADMIN]


@pytest.fixture
def api(client_for: Callable[..., Client], users_by_role: dict[Role, Any]) -> Callable[..., Any]:
    """``api(role, method, url, body)`` -> response, signed in as that role."""

    def call(role: Role, method: str, url: str, body: Any = None) -> Any:
        client = client_for(users_by_role[role])
        payload = {} if body is None else {"data": json.dumps(body)}
        return getattr(client, method)(url, content_type="application/json", **payload)

    return call


@pytest.fixture
def chair():
    return ChairFactory.create(name="Chair 1")


@pytest.fixture
def session(chair, nurse):
    return session_for(
        verified_order(status=OrderStatus.ACTIVE), chair, yesterday_at("09:00"), by=nurse
    )


def entries_url(session: InfusionSession) -> str:
    return f"{SESSIONS}{session.pk}/entries/"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads(api, role, session) -> None:
    for url in (
        CHAIRS,
        f"{CHAIRS}{session.chair_id}/",
        SESSIONS,
        f"{SESSIONS}{session.pk}/",
        f"{SESSIONS}{session.pk}/plan/",
        entries_url(session),
    ):
        assert api(role, "get", url).status_code == 200, url


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_only_nurses_write(api, role, session, chair) -> None:
    order = verified_order()
    writes = [
        ("post", CHAIRS, {"name": "New"}),
        ("patch", f"{CHAIRS}{chair.pk}/", {"active": False}),
        ("post", f"{SESSIONS}proposal/", {"order": order.pk, "cycle_number": 1}),
        ("post", f"{SESSIONS}book/", {"order": order.pk, "cycle_number": 1, "slots": []}),
        ("post", f"{SESSIONS}{session.pk}/move/", {}),
        ("post", f"{SESSIONS}{session.pk}/cancel/", {"reason": "x", "version": 1}),
        ("post", f"{SESSIONS}{session.pk}/start/", {}),
        ("post", entries_url(session), {"kind": "note", "details": "x"}),
    ]
    for method, url, body in writes:
        assert api(role, method, url, body).status_code == 403, url
    assert not session.entries.exists()


def test_signed_out_is_refused(client, session) -> None:
    assert client.get(SESSIONS).status_code in (401, 403)


def test_entries_are_never_changed_or_deleted(api, session) -> None:
    created = api(Role.NURSE, "post", entries_url(session), {"kind": "note", "details": "x"})
    assert created.status_code == 201
    entry_id = created.json()["id"]
    for method in ("put", "patch", "delete"):
        assert api(Role.NURSE, method, entries_url(session), {}).status_code == 405
        assert api(Role.NURSE, method, f"{entries_url(session)}{entry_id}/").status_code == 404
    assert api(Role.NURSE, "delete", f"{CHAIRS}{session.chair_id}/").status_code == 405
    assert api(Role.NURSE, "delete", f"{SESSIONS}{session.pk}/").status_code == 405


def test_chairs_with_opening_hours(api) -> None:
    hours = [{"weekday": 0, "opens_at": "08:00", "closes_at": "18:00"}]
    created = api(Role.NURSE, "post", CHAIRS, {"name": "Window", "opening_hours": hours})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["opening_hours"] == [
        {"weekday": 0, "opens_at": "08:00:00", "closes_at": "18:00:00"}
    ]
    chair = Chair.objects.get(pk=body["id"])
    assert chair.history.first().history_user.username == "nurse-test"
    duplicate = api(Role.NURSE, "post", CHAIRS, {"name": "Window"})
    assert duplicate.status_code == 400 and duplicate.json()["field_errors"].keys() == {"name"}
    backwards = [{"weekday": 0, "opens_at": "18:00", "closes_at": "08:00"}]
    patch = api(Role.NURSE, "patch", f"{CHAIRS}{chair.pk}/", {"opening_hours": backwards})
    assert patch.status_code == 400
    renamed = api(Role.NURSE, "patch", f"{CHAIRS}{chair.pk}/", {"location": "Ward 2"})
    assert renamed.json()["location"] == "Ward 2" and len(renamed.json()["opening_hours"]) == 1
    assert api(Role.NURSE, "post", CHAIRS, {"name": "X", "colour": "red"}).status_code == 400


def test_booking_a_cycle(api, chair) -> None:
    order = verified_order(days_per_cycle=2, total_dose_g_per_kg=None, daily_dose_mg_per_kg=400)
    proposal = api(
        Role.NURSE, "post", f"{SESSIONS}proposal/", {"order": order.pk, "cycle_number": 1}
    )
    assert proposal.status_code == 200, proposal.json()
    slots = proposal.json()["slots"]
    assert [slot["day_number"] for slot in slots] == [1, 2]
    assert all(slot["chair"] == chair.pk for slot in slots)
    body = {"order": order.pk, "cycle_number": 1, "slots": slots}
    booked = api(Role.NURSE, "post", f"{SESSIONS}book/", body)
    assert booked.status_code == 201, booked.json()
    assert [s["status"] for s in booked.json()] == ["booked", "booked"]
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE
    again = api(Role.NURSE, "post", f"{SESSIONS}book/", body)
    assert again.status_code == 409 and again.json()["code"] == "cycle_booked"
    other = verified_order(days_per_cycle=2, total_dose_g_per_kg=None, daily_dose_mg_per_kg=400)
    taken = api(Role.NURSE, "post", f"{SESSIONS}book/", {**body, "order": other.pk})
    assert taken.status_code == 409 and taken.json()["code"] == "slot_taken"


def test_booking_refusals_are_400(api, chair) -> None:
    signed = verified_order(status=OrderStatus.SIGNED)
    refused = api(
        Role.NURSE, "post", f"{SESSIONS}proposal/", {"order": signed.pk, "cycle_number": 1}
    )
    assert refused.status_code == 400 and refused.json()["code"] == "order_not_bookable"
    order = verified_order()
    body = {"order": order.pk, "cycle_number": 1, "slots": [], "extra": 1}
    assert api(Role.NURSE, "post", f"{SESSIONS}book/", body).status_code == 400
    body.pop("extra")
    short = api(Role.NURSE, "post", f"{SESSIONS}book/", body)
    assert short.status_code == 400 and short.json()["field_errors"].keys() == {"slots"}


def test_move_cancel_and_start(api, chair, nurse) -> None:
    order = verified_order(status=OrderStatus.ACTIVE)
    start = local(timezone.localdate() + timedelta(days=3), "09:00")
    session = session_for(order, chair, start, by=nurse)
    later = (start + timedelta(hours=1)).isoformat()
    move = {"chair": chair.pk, "start": later, "reason": "Clinic", "version": 1}
    moved = api(Role.NURSE, "post", f"{SESSIONS}{session.pk}/move/", move)
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = api(Role.NURSE, "post", f"{SESSIONS}{session.pk}/move/", move)
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    # Not its day: the start is refused with the reason.
    early = api(Role.NURSE, "post", f"{SESSIONS}{session.pk}/start/", {})
    assert early.status_code == 400 and early.json()["code"] == "cannot_start"
    cancel = api(
        Role.NURSE, "post", f"{SESSIONS}{session.pk}/cancel/", {"reason": "x", "version": 2}
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"


def test_recording_through_the_api(api, session) -> None:
    url = entries_url(session)
    at = yesterday_at("09:30")
    started = api(
        Role.NURSE, "post", f"{SESSIONS}{session.pk}/start/", {"occurred_at": at.isoformat()}
    )
    assert started.status_code == 201 and started.json()["rate_ml_per_h"] == 20
    too_fast = {
        "kind": "rate_changed",
        "rate_ml_per_h": 64,
        "occurred_at": (at + timedelta(minutes=20)).isoformat(),
    }
    refused = api(Role.NURSE, "post", url, too_fast)
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "rate_above_plan"
    assert body["field_errors"] == {"rate_ml_per_h": [body["detail"]]}
    wrong_field = {"kind": "note", "details": "x", "rate_ml_per_h": 3}
    assert api(Role.NURSE, "post", url, wrong_field).json()["field_errors"].keys() == {
        "rate_ml_per_h"
    }
    assert api(Role.NURSE, "post", url, {"kind": "note", "colour": "red"}).status_code == 400
    event = {
        "kind": "adverse_event",
        "symptoms": ["allergic_reaction"],
        "severity": "severe",
        "action": "Stopped; physician called",
        "occurred_at": (at + timedelta(minutes=20)).isoformat(),
    }
    assert api(Role.NURSE, "post", url, event).status_code == 201
    entries = api(Role.NURSE, "get", url).json()
    assert [e["kind"] for e in entries] == ["started", "adverse_event"]
    assert entries[1]["recorded_by"] == "nurse-test"
    correction = {"kind": "note", "details": "x", "correction_of": 999999}
    assert api(Role.NURSE, "post", url, correction).json()["field_errors"].keys() == {
        "correction_of"
    }
    plan = api(Role.CLINICIAN, "get", f"{SESSIONS}{session.pk}/plan/").json()
    assert plan["steps"][0]["rate_ml_per_h"] == 20 and "Fever" in plan["watch_list"]


def test_reads_of_a_session_are_logged(api, session) -> None:
    api(Role.PHARMACIST, "get", f"{SESSIONS}{session.pk}/")
    api(Role.PHARMACIST, "get", entries_url(session))
    assert AccessLog.objects.filter(subject_type="infusions.infusionsession").count() == 2


def test_session_filters(api, nurse) -> None:
    chair, other_chair = ChairFactory.create(), ChairFactory.create()
    today = timezone.localdate()
    first = session_for(verified_order(), chair, local(today, "09:00"), by=nurse)
    second = session_for(
        verified_order(), other_chair, local(today + timedelta(days=2), "09:00"), by=nurse,
        status="tentative",
    )  # fmt: skip

    def ids(query: str) -> list[int]:
        return [
            row["id"] for row in api(Role.NURSE, "get", f"{SESSIONS}?{query}").json()["results"]
        ]

    assert ids("") == [first.pk, second.pk]
    assert ids(f"date_from={today}&date_to={today}") == [first.pk]
    assert ids(f"date_from={today + timedelta(days=1)}") == [second.pk]
    assert ids(f"chair={other_chair.pk}") == [second.pk]
    assert ids("status=tentative") == [second.pk]
    assert ids("status=booked&status=tentative") == [first.pk, second.pk]
    assert ids(f"patient={first.order.patient_id}") == [first.pk]
    assert api(Role.NURSE, "get", f"{SESSIONS}?date_from=soon").status_code == 400


def test_session_list_takes_a_constant_number_of_queries(client_for, nurse) -> None:
    client = client_for(nurse)
    today = timezone.localdate()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(SESSIONS).status_code == 200
        return len(queries)

    session_for(verified_order(), ChairFactory.create(), local(today, "08:00"), by=nurse)
    one = count()
    for hour in range(9, 19):
        session_for(
            verified_order(), ChairFactory.create(), local(today, f"{hour:02d}:00"), by=nurse
        )
    assert count() == one


def test_every_endpoint_is_in_a_valid_schema_without_warnings() -> None:
    patterns = [path("api/v1/", include("infusions.api_urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular warned about the infusions API"
    assert set(schema["paths"]) == {
        "/api/v1/lots/",
        "/api/v1/chairs/",
        "/api/v1/chairs/{id}/",
        "/api/v1/infusion-sessions/",
        "/api/v1/infusion-sessions/{id}/",
        "/api/v1/infusion-sessions/{id}/cancel/",
        "/api/v1/infusion-sessions/{id}/confirm/",
        "/api/v1/infusion-sessions/{id}/move/",
        "/api/v1/infusion-sessions/{id}/plan/",
        "/api/v1/infusion-sessions/{id}/premedication/",
        "/api/v1/infusion-sessions/{id}/reason/",
        "/api/v1/infusion-sessions/{id}/start/",
        "/api/v1/infusion-sessions/{id}/entries/",
        "/api/v1/infusion-sessions/book/",
        "/api/v1/infusion-sessions/proposal/",
        "/api/v1/reactions/{id}/plan/",
        "/api/v1/planner/suggestions/",
        "/api/v1/planner/accept/",
        "/api/v1/planner/shifts/",
        "/api/v1/planner/policy/",
        "/api/v1/planner/patients/{patient_pk}/times/",
    }
    plan = schema["paths"]["/api/v1/reactions/{id}/plan/"]
    assert {"get", "post", "put"} <= set(plan) and "delete" not in plan
    entries = schema["paths"]["/api/v1/infusion-sessions/{id}/entries/"]
    assert {"put", "patch", "delete"}.isdisjoint(entries)
    assert "409" in schema["paths"]["/api/v1/infusion-sessions/book/"]["post"]["responses"]
    reason = schema["paths"]["/api/v1/infusion-sessions/{id}/reason/"]["post"]["responses"]
    assert {"201", "400", "403", "409"} <= set(reason)


def test_a_completion_beyond_the_recorded_rates_is_a_400_on_the_volume(api, session) -> None:
    at = yesterday_at("09:30")
    start = api(
        Role.NURSE, "post", f"{SESSIONS}{session.pk}/start/", {"occurred_at": at.isoformat()}
    )
    assert start.status_code == 201 and start.json()["rate_ml_per_h"] == 20
    completed = {
        "kind": "completed",
        "volume_ml": "246",
        "grams_given": "2",
        "occurred_at": (at + timedelta(minutes=32)).isoformat(),
    }
    refused = api(Role.NURSE, "post", entries_url(session), completed)
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "more_than_record_allows"
    assert list(body["field_errors"]) == ["volume_ml"]
    early = {"kind": "note", "details": "x", "occurred_at": (at - timedelta(days=1)).isoformat()}
    before = api(Role.NURSE, "post", entries_url(session), early)
    assert before.status_code == 400 and before.json()["code"] == "before_session_day"
    assert list(before.json()["field_errors"]) == ["occurred_at"]


def test_oxygen_saturation_is_recorded_with_the_vital_signs(api, session) -> None:
    url = entries_url(session)
    at = yesterday_at("09:00")
    vitals = {"kind": "vital_signs", "bp_systolic_mmhg": 120, "bp_diastolic_mmhg": 80,
              "pulse_per_min": 72, "occurred_at": at.isoformat()}  # fmt: skip
    recorded = api(Role.NURSE, "post", url, {**vitals, "spo2_pct": 97})
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["spo2_pct"] == 97
    implausible = api(Role.NURSE, "post", url, {**vitals, "spo2_pct": 40})
    assert implausible.status_code == 400
    assert "spo2_pct" in implausible.json()["field_errors"]
