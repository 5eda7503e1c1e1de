"""Reactions carried forward (docs/clinical-rules.md 3.8.3) through the real URLs: the history
on the patient, order and later session pages, PRIOR_INFUSION_REACTION until a clinician's
plan, the plan's rate cap, no restart after a severe reaction; and the session's plan inputs
for the rules from labs (3.8.2)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.booking.last_cycle import patient_last_cycle
from infusions.booking.session_plan import session_plan, session_runnable_plan
from infusions.models import AdministrationEntry, SessionStatus
from infusions.reactions.selectors import patient_reactions, reaction_facts, reaction_rate_cap
from ivig.engine import FINDING_TITLES
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from orders.models import OrderOverride, OrderStatus
from orders.premedication.forms import rows_as_posted
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.orders.factories import PatientWeightFactory

pytestmark = pytest.mark.django_db


def day(days_ago: int) -> date:
    return timezone.localdate() - timedelta(days=days_ago)


def at(days_ago: int, clock: str) -> datetime:
    return local(day(days_ago), clock)


def post_entry(client, session, when: datetime, **data):
    moment = timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")
    return client.post(
        reverse("infusions:session-record", args=[session.pk]), {"occurred_at": moment, **data}
    )


@pytest.fixture
def course(nurse):
    """Two sessions of one order: two days ago (the first) and yesterday (the later one)."""
    order = verified_order(status=OrderStatus.ACTIVE)
    # Weighed before the sessions too: a session's plan reads the weight as of its day.
    PatientWeightFactory.create(
        patient=order.patient, weight_kg=Decimal("82.5"), measured_on=day(20), recorded_by=nurse
    )
    chair = ChairFactory.create()
    first = session_for(order, chair, at(2, "09:00"), by=nurse)
    later = session_for(order, chair, at(1, "09:00"), by=nurse, day_number=2)
    return order, first, later


def react(client, session, days_ago: int, severity: str = "moderate"):
    assert post_entry(client, session, at(days_ago, "09:30"), kind="started").status_code == 302
    answer = post_entry(
        client,
        session,
        at(days_ago, "09:50"),
        kind="adverse_event",
        symptoms=["fever", "skin_rash"],
        severity=severity,
        action="Stopped; paracetamol given",
    )
    assert answer.status_code == 302
    return AdministrationEntry.objects.get(session=session, kind="adverse_event")


def test_a_reaction_is_carried_forward_until_a_clinician_plans_for_it(
    course, nurse, clinician, pharmacist, client_for
):
    order, first, later = course
    nurse_client, doctor = client_for(nurse), client_for(clinician)
    reaction = react(nurse_client, first, 2)

    # The history on the patient page, the order page and the later session's page.
    for url in (
        reverse("orders:patient-detail", args=[order.patient.pk]),
        reverse("orders:order-detail", args=[order.pk]),
        reverse("infusions:session-detail", args=[later.pk]),
    ):
        page = doctor.get(url).content.decode()
        assert f'data-testid="reaction-{reaction.pk}"' in page, url
        assert "Skin rash, Fever" in page and "Stopped; paracetamol given" in page
    later_page = nurse_client.get(reverse("infusions:session-detail", args=[later.pk]))
    text = later_page.content.decode()
    assert FINDING_TITLES["PRIOR_INFUSION_REACTION"] in text
    assert "moderate (Skin rash, Fever) at 20 mL/h" in text  # the rate at onset (rules v3)
    assert "has no plan yet" in text  # the start is blocked
    # The first session's own page does not carry its own reaction forward.
    own = nurse_client.get(reverse("infusions:session-detail", args=[first.pk])).content.decode()
    assert "PRIOR_INFUSION_REACTION" not in own

    refused = post_entry(nurse_client, later, at(1, "09:30"), kind="started")
    assert refused.status_code == 200 and "has no plan yet" in refused.content.decode()
    later.refresh_from_db()
    assert later.status == SessionStatus.BOOKED

    plan_url = reverse("infusions:reaction-plan", args=[reaction.pk])
    assert nurse_client.get(plan_url).status_code == 403
    assert client_for(pharmacist).post(plan_url, {"reason": "x"}).status_code == 403
    empty = doctor.post(plan_url, {})
    assert empty.status_code == 400 and "Give a lower maximum rate" in empty.content.decode()
    assert doctor.post(plan_url, {"max_rate_ml_per_h": "201"}).status_code == 400  # form error
    planned = {
        "max_rate_ml_per_h": "60",
        **rows_as_posted([{"drug": "hydrocortisone", "dose": "100", "route": "IV"}]),
    }
    # Capped at 60 mL/h the later session needs 340 minutes in the chair (the label steps of
    # rules v3 slow its first hour); its booking holds 209.
    told = doctor.post(plan_url, planned)
    assert told.status_code == 400
    assert "needs 340 minutes in the chair" in told.content.decode()
    assert "holds 209 minutes: the booking must be moved, or the plan changed" in (
        told.content.decode()
    )
    done = doctor.post(plan_url, {**planned, "bookings_to_move": "on"})
    assert done.status_code == 302
    stale = doctor.post(plan_url, {"reason": "continue", "version": "0"})  # a revision
    assert stale.status_code == 409 and "revised since you opened it" in stale.content.decode()

    text = nurse_client.get(reverse("infusions:session-detail", args=[later.pk])).content.decode()
    assert "PRIOR_INFUSION_REACTION" not in text
    assert 'data-testid="booking-overrun"' in text  # the nurse is warned
    assert "needs 340 minutes in the chair" in text and "holds 209 minutes" in text
    assert "capped at <strong>60 mL/h</strong>" in text
    steps = text.split('data-testid="plan-steps"')[1].split("</table>")[0]
    assert '<td class="num">60</td>' in steps and '<td class="num">64</td>' not in steps
    assert (
        "maximum 60 mL/h; premedication: Hydrocortisone 100 mg IV, 30 min before the start" in text
    )

    # The later session starts, and its rates are capped at 60 mL/h.
    assert post_entry(nurse_client, later, at(1, "09:30"), kind="started").status_code == 302
    # 11:05 is minute 95: the plan's 124 mL/h step (rules v3) runs at the cap
    too_fast = post_entry(
        nurse_client, later, at(1, "11:05"), kind="rate_changed", rate_ml_per_h="64"
    )
    assert too_fast.status_code == 200
    assert "64 mL/h is above 60 mL/h" in too_fast.content.decode()  # the capped plan
    capped = post_entry(
        nurse_client, later, at(1, "11:06"), kind="rate_changed", rate_ml_per_h="60"
    )
    assert capped.status_code == 302


def test_continue_unchanged_needs_a_reason(course, nurse, clinician, client_for):
    _, first, later = course
    reaction = react(client_for(nurse), first, 2, severity="mild")
    answer = client_for(clinician).post(
        reverse("infusions:reaction-plan", args=[reaction.pk]),
        {"reason": "Mild rash, settled with the stop; premedication as ordered is enough."},
    )
    assert answer.status_code == 302
    assert [fact.planned for fact in reaction_facts(later)] == [True]
    assert reaction_rate_cap(later) is None
    assert "PRIOR_INFUSION_REACTION" not in [f.code for f in session_plan(later).findings]


def test_no_restart_after_a_severe_reaction(course, nurse, client_for):
    _, first, _ = course
    client = client_for(nurse)
    react(client, first, 2, severity="severe")
    answer = post_entry(client, first, at(2, "10:30"), kind="restarted", rate_ml_per_h="20")
    assert answer.status_code == 200
    assert "After a severe (anaphylactic) reaction this session is not restarted" in (
        answer.content.decode()
    )
    assert not first.entries.filter(kind="restarted").exists()


def test_a_moderate_reaction_still_restarts(course, nurse, client_for):
    _, first, _ = course
    client = client_for(nurse)
    react(client, first, 2)
    answer = post_entry(client, first, at(2, "10:30"), kind="restarted", rate_ml_per_h="20")
    assert answer.status_code == 302


def test_the_sessions_plan_carries_the_reactions_and_the_cap(course, nurse, clinician, client_for):
    order, first, later = course
    reaction = react(client_for(nurse), first, 2)
    facts = reaction_facts(later)
    assert [(f.occurred_on, f.severity, f.rate_at_onset_ml_per_h, f.planned) for f in facts] == [
        (day(2), "moderate", 20, False)  # rules v3: started at the label's 20 mL/h
    ]
    assert reaction_facts(first) == []  # not its own
    assert [r.entry for r in patient_reactions(order.patient)] == [reaction]
    # The one path: the order's plan asked for the session carries its reactions.
    living = session_plan(later)
    assert living.plan.findings[0].code == "PRIOR_INFUSION_REACTION"
    assert "PRIOR_INFUSION_REACTION" in [f.code for f in living.new_overrides]
    assert "has no plan yet" in (living.refusal("start") or "")
    assert "new version" not in (living.refusal("start") or "")  # a reaction plan answers it
    assert "PRIOR_INFUSION_REACTION" not in [f.code for f in session_plan(first).findings]
    answer = client_for(clinician).post(
        reverse("infusions:reaction-plan", args=[reaction.pk]),
        {"max_rate_ml_per_h": "90", "bookings_to_move": "on"},
    )
    assert answer.status_code == 302
    assert "PRIOR_INFUSION_REACTION" not in [f.code for f in session_plan(later).findings]
    assert session_plan(later).refusal("start") is None
    plan = session_runnable_plan(later)
    assert plan.titration is not None
    assert max(step.rate_ml_per_h for step in plan.titration) == 90


def _lab(patient, by, code: str, taken_on: date, value: str) -> None:
    lab_result_record(
        patient, by=by, test=LabTest.objects.get(code=code), taken_on=taken_on, value=value
    )


def test_the_last_cycle_given_and_hemolysis_after_it(course, nurse, clinician, client_for):
    order, first, later = course
    assert patient_last_cycle(order.patient, day(0)) is None  # nothing given yet
    assert post_entry(client_for(nurse), first, at(2, "09:30"), kind="started").status_code == 302
    cycle = patient_last_cycle(order.patient, day(0))
    assert cycle is not None
    assert (cycle.first_day, cycle.last_day, cycle.dose_g_per_kg) == (day(2), day(2), Decimal(2))
    _lab(order.patient, clinician, "718-7", day(10), "13.5")
    _lab(order.patient, clinician, "718-7", day(1), "11.6")
    codes = [item.code for item in session_plan(later).findings]
    assert "HEMOLYSIS_SUSPECTED" not in codes  # 1.9 g/dL below
    _lab(order.patient, clinician, "718-7", day(1), "11.5")
    plan = session_plan(later)
    assert plan.findings[0].code == "HEMOLYSIS_SUSPECTED"
    assert plan.findings[0].severity == "stop"


def test_creatinine_due_on_the_sessions_plan_after_a_low_egfr(course, clinician):
    order, _, later = course
    _lab(order.patient, clinician, "62238-1", day(40), "48")
    findings = {f.code: f.message for f in session_plan(later).findings}
    assert f"from eGFR 48 on {day(40).day} {day(40):%b %Y}" in findings["RENAL_RISK"]
    assert "CREATININE_DUE" in findings
    refusal = session_plan(later).refusal("start") or ""
    assert "check creatinine within 30 days" in refusal
    assert "new version" in refusal  # RENAL_RISK is new since signing: a new version answers it
    OrderOverride.objects.create(  # as if signed with the renal risk and a reason
        order=order,
        code="RENAL_RISK",
        message="Renal risk",
        reason="Known, hydrate",
        overridden_by=clinician,
        overridden_at=timezone.now(),
    )
    refusal = session_plan(later).refusal("start") or ""
    assert FINDING_TITLES["CREATININE_DUE"] in refusal
    assert f"{FINDING_TITLES['RENAL_RISK']} —" not in refusal  # not listed as a finding
    assert "new version" not in refusal  # a new version is never planned for a session
    _lab(order.patient, clinician, "2160-0", day(31), "1.4")  # 30 days before the session
    codes = [f.code for f in session_plan(later).findings]
    assert "CREATININE_DUE" not in codes
