"""docs/clinical-rules.md 3.9 through real URLs: booking, moving, confirming and starting check
the order's plan on the current facts and the patient's IVIg calendar."""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from infusions.models import InfusionSession, SessionStatus
from ivig.accounts.roles import Role
from orders.models import OrderStatus, PatientWeight
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/infusion-sessions/"


@pytest.fixture
def api(client_for: Callable[..., Client], users_by_role: dict[Role, Any]) -> Callable[..., Any]:
    def call(role: Role, method: str, url: str, body: Any = None) -> Any:
        client = client_for(users_by_role[role])
        payload = {} if body is None else {"data": json.dumps(body)}
        return getattr(client, method)(url, content_type="application/json", **payload)

    return call


@pytest.fixture
def chair():
    return ChairFactory.create(name="Chair 1")


def _book(api, order, cycle: int, **proposal: Any) -> list[dict[str, Any]]:
    body = {"order": order.pk, "cycle_number": cycle, **proposal}
    proposed = api(Role.NURSE, "post", f"{SESSIONS}proposal/", body)
    assert proposed.status_code == 200, proposed.json()
    slots = proposed.json()["slots"]
    booked = api(
        Role.NURSE,
        "post",
        f"{SESSIONS}book/",
        {"order": order.pk, "cycle_number": cycle, "slots": slots},
    )
    assert booked.status_code == 201, booked.json()
    return booked.json()


def test_a_cycle_booked_on_the_days_of_another_orders_cycle_stops(api, chair) -> None:
    # Cycle 1 tomorrow, cycle 2 90 days later; the other order's one cycle in between.
    first = verified_order(cycles=2, cycle_interval_days=90)
    second = verified_order(
        patient=first.patient, cycles=1, start_date=first.start_date + timedelta(days=45)
    )
    taken = _book(api, second, 1)
    day_one = taken[0]["planned_start"][:10]
    proposal = api(
        Role.NURSE, "post", f"{SESSIONS}proposal/",
        {"order": first.pk, "cycle_number": 2, "requested_date": day_one},
    )  # fmt: skip
    assert proposal.status_code == 400
    assert proposal.json()["code"] == "stop_findings"
    assert "Above the 28-day maximum dose" in proposal.json()["detail"]
    other_chair = ChairFactory.create(name="Chair 2")
    same_days = [
        {"day_number": s["day_number"], "chair": other_chair.pk, "start": s["planned_start"]}
        for s in taken
    ]
    # On the very same days the one-session-a-day rule answers first (docs/clinical-rules.md 6.1).
    clash = api(
        Role.NURSE, "post", f"{SESSIONS}book/",
        {"order": first.pk, "cycle_number": 2, "slots": same_days},
    )  # fmt: skip
    assert clash.status_code == 409 and clash.json()["code"] == "patient_day_taken"
    # On the days right after the other cycle, the patient's calendar stops it.
    week_later = [
        {
            "day_number": s["day_number"],
            "chair": other_chair.pk,
            "start": (datetime.fromisoformat(s["planned_start"]) + timedelta(days=7)).isoformat(),
        }
        for s in taken
    ]
    booked = api(
        Role.NURSE,
        "post",
        f"{SESSIONS}book/",
        {"order": first.pk, "cycle_number": 2, "slots": week_later},
    )
    assert booked.status_code == 400, booked.json()
    assert booked.json()["code"] == "stop_findings"
    assert "A clinician must revise the order" in booked.json()["detail"]
    assert not InfusionSession.objects.filter(order=first).exists()


def test_cycle_2_moved_to_ten_days_after_cycle_1_is_refused(api, chair) -> None:
    order = verified_order()
    cycle_1 = _book(api, order, 1)
    cycle_2 = _book(api, order, 2)
    start = datetime.fromisoformat(cycle_1[0]["planned_start"]) + timedelta(days=10)
    session = cycle_2[0]
    moved = api(
        Role.NURSE, "post", f"{SESSIONS}{session['id']}/move/",
        {"chair": chair.pk, "start": start.isoformat(), "reason": "Earlier",
         "version": session["version"]},
    )  # fmt: skip
    assert moved.status_code == 400, moved.json()
    assert moved.json()["code"] == "stop_findings"
    assert "Above the 28-day maximum dose" in moved.json()["detail"]  # its title, in words
    assert "MAX_DOSE_PER_28_DAYS" in [f["code"] for f in moved.json()["findings"]]
    unmoved = api(Role.NURSE, "get", f"{SESSIONS}{session['id']}/").json()
    assert unmoved["planned_start"] == session["planned_start"]


@pytest.fixture
def session(chair, nurse):
    # Signed with no findings but warnings: findings_at_signing is the record compared with.
    order = verified_order(
        status=OrderStatus.ACTIVE, findings_at_signing=[], signed_weight_kg=Decimal("82.5")
    )
    return session_for(order, chair, yesterday_at("09:00"), by=nurse)


def _start_on_page(client: Client, session: InfusionSession) -> Any:
    start = yesterday_at("09:30").astimezone(timezone.get_current_timezone())
    return client.post(
        reverse("infusions:session-record", args=[session.pk]),
        {"kind": "started", "occurred_at": start.strftime("%Y-%m-%dT%H:%M"), "rate_ml_per_h": "20"},
    )


def test_iga_deficiency_with_antibodies_after_verification_refuses_the_start(
    api, client_for, nurse, session
) -> None:
    patient = session.order.patient
    patient.iga_status = "deficient_with_antibodies"
    patient.save()
    plan = api(Role.NURSE, "get", f"{SESSIONS}{session.pk}/plan/").json()
    assert "IGA_DEFICIENCY_WITH_ANTIBODIES" in plan["new_finding_codes"]
    assert any("IgA deficiency with anti-IgA antibodies" in b for b in plan["start_blockers"])
    start = yesterday_at("09:30").isoformat()
    refused = api(Role.NURSE, "post", f"{SESSIONS}{session.pk}/start/", {"occurred_at": start})
    assert refused.status_code == 400
    assert refused.json()["code"] == "cannot_start"
    assert "IgA deficiency with anti-IgA antibodies" in refused.json()["detail"]
    assert "A clinician must revise the order" in refused.json()["detail"]
    client = client_for(nurse)
    page = client.get(reverse("infusions:session-detail", args=[session.pk])).content.decode()
    assert 'data-testid="new-finding-IGA_DEFICIENCY_WITH_ANTIBODIES"' in page
    assert "A clinician must revise the order" in page
    assert _start_on_page(client, session).status_code == 200  # shown again, refused
    session.refresh_from_db()
    assert session.status == SessionStatus.BOOKED


def test_a_weight_change_after_verification_refuses_start_and_firm_booking(
    api, nurse, session, chair
) -> None:
    PatientWeight.objects.create(
        patient=session.order.patient,
        weight_kg=Decimal("95"),
        measured_on=timezone.localdate(),
        recorded_by=nurse,
    )
    refused = api(
        Role.NURSE,
        "post",
        f"{SESSIONS}{session.pk}/start/",
        {"occurred_at": yesterday_at("09:30").isoformat()},
    )
    assert refused.status_code == 400
    assert "Weight changed since signing" in refused.json()["detail"]
    order = session.order
    proposal = api(
        Role.NURSE, "post", f"{SESSIONS}proposal/", {"order": order.pk, "cycle_number": 2}
    )
    assert proposal.status_code == 200  # an override refuses no proposal
    body = {"order": order.pk, "cycle_number": 2, "slots": proposal.json()["slots"]}
    firm = api(Role.NURSE, "post", f"{SESSIONS}book/", body)
    assert firm.status_code == 400 and firm.json()["code"] == "plan_changed"
    assert "only as tentative" in firm.json()["detail"]
    tentative = api(Role.NURSE, "post", f"{SESSIONS}book/", {**body, "tentative": True})
    assert tentative.status_code == 201, tentative.json()
    first = tentative.json()[0]
    confirm = api(
        Role.NURSE, "post", f"{SESSIONS}{first['id']}/confirm/", {"version": first["version"]}
    )
    assert confirm.status_code == 400 and confirm.json()["code"] == "plan_changed"
