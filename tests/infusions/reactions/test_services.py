"""Reaction plans bounded, revisable, announced and on the API (docs/clinical-rules.md 3.8.3),
through the real URLs: no cap below the protocol's first step; a cap that makes a booked session
overrun its booking is said with the numbers and warned on the session page until the booking
is moved (the move gives it the capped chair time); a plan revised keeps its versions; a new
reaction notifies the patient's clinicians (inbox and e-mail) with the link to the plan."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from infusions.booking.services import session_move
from infusions.booking.session_plan import runnable_plan, session_runnable_plan
from infusions.models import AdministrationEntry
from infusions.reactions.models import ReactionPlan
from infusions.reactions.selectors import reaction_rate_cap
from ivig.engine.reaction_cap import capped_plan
from ivig.notifications.models import Kind, Notification
from orders.models import OrderStatus
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
def course(nurse, clinician):
    return make_course(nurse, clinician)


def make_course(nurse, clinician):
    """An order entered by ``clinician``: a session two days ago and one tomorrow (booked
    09:00-12:41, 221 minutes, the uncapped chair time under rules v3: see ``verified_order``)."""
    order = verified_order(status=OrderStatus.ACTIVE, created_by=clinician, start_date=day(2))
    PatientWeightFactory.create(
        patient=order.patient, weight_kg=Decimal("82.5"), measured_on=day(20), recorded_by=nurse
    )
    chair = ChairFactory.create()
    first = session_for(order, chair, at(2, "09:00"), by=nurse)
    uncapped = runnable_plan(order).chair_minutes
    assert uncapped == 221  # steps 20, 41, 82 for 30 min each, then +15 mL/h; 250 mL: 221 min
    later = session_for(order, chair, at(-1, "09:00"), by=nurse, day_number=2, minutes=uncapped)
    return order, first, later


def react(client, session) -> AdministrationEntry:
    started = post_entry(client, session, at(2, "09:30"), kind="started")
    assert started.status_code == 302, started.content.decode().split("entry-error")[1][:400]
    answer = post_entry(
        client,
        session,
        at(2, "09:50"),
        kind="adverse_event",
        symptoms=["fever"],
        severity="moderate",
        action="Stopped",
    )
    assert answer.status_code == 302
    return AdministrationEntry.objects.get(session=session, kind="adverse_event")


def test_no_cap_below_the_protocols_first_step(course, nurse, clinician, client_for):
    order, first, later = course
    reaction = react(client_for(nurse), first)
    first_step = runnable_plan(order).titration[0].rate_ml_per_h  # type: ignore[index]
    # Rules v3: the lower of the protocol's 0.5 mL/kg/h x 68.8 kg = 34 mL/h and Privigen's label
    # first step 0.5 mg/kg/min x 68.8 kg x 60 / (10 x 10 %) = 20.64, rounded down: 20 mL/h.
    assert first_step == 20
    url = reverse("infusions:reaction-plan", args=[reaction.pk])
    doctor = client_for(clinician)
    page = doctor.get(url).content.decode()
    assert f'at least <strong data-testid="first-step-rate">{first_step} mL/h</strong>' in page
    for too_low in ("5", str(first_step - 1)):
        answer = doctor.post(url, {"max_rate_ml_per_h": too_low, "bookings_to_move": "on"})
        assert answer.status_code == 400
        text = answer.content.decode()
        assert f"below the first step of the protocol for this patient, {first_step} mL/h" in text
    assert not ReactionPlan.objects.exists()
    at_floor = doctor.post(url, {"max_rate_ml_per_h": str(first_step), "bookings_to_move": "on"})
    assert at_floor.status_code == 302
    assert reaction_rate_cap(later) == first_step


def test_a_cap_that_overruns_the_booking_is_said_warned_and_moved(
    course, nurse, clinician, client_for
):
    order, first, later = course
    reaction = react(client_for(nurse), first)
    url = reverse("infusions:reaction-plan", args=[reaction.pk])
    doctor = client_for(clinician)
    capped = capped_plan(runnable_plan(order), 60)
    booked = int((later.planned_end - later.planned_start).total_seconds() // 60)
    assert booked == 221 and capped.chair_minutes is not None and capped.chair_minutes > booked

    told = doctor.post(url, {"max_rate_ml_per_h": "60"})
    text = told.content.decode()
    assert told.status_code == 400
    assert f"needs {capped.chair_minutes} minutes in the chair" in text
    assert f"09:00\u201312:41 holds {booked} minutes" in text
    assert "Choose a higher maximum rate, or confirm that the booking will be moved" in text
    assert not ReactionPlan.objects.exists()

    # A cap that keeps the booking is recorded without a word.
    fits = capped_plan(runnable_plan(order), 200)
    assert fits.chair_minutes is not None and fits.chair_minutes <= booked
    assert doctor.post(url, {"max_rate_ml_per_h": "200"}).status_code == 302
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[later.pk]))
    assert 'data-testid="booking-overrun"' not in page.content.decode()

    # Revised to 60 mL/h saying the booking will be moved: the nurse is warned.
    plan = ReactionPlan.objects.get()
    revised = doctor.post(
        url, {"max_rate_ml_per_h": "60", "bookings_to_move": "on", "version": plan.version}
    )
    assert revised.status_code == 302
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[later.pk]))
    text = page.content.decode()
    assert 'data-testid="booking-overrun"' in text
    assert f"needs {capped.chair_minutes} minutes in the chair" in text
    assert f"holds {booked} minutes: the booking must be moved, or the plan changed" in text

    # Moving the booking gives it the capped chair time; the warning goes.
    moved = session_move(
        later, chair=later.chair, start=at(-1, "08:00"), by=nurse, reason="longer infusion"
    )
    assert moved.planned_end - moved.planned_start == timedelta(minutes=capped.chair_minutes)
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[later.pk]))
    assert 'data-testid="booking-overrun"' not in page.content.decode()
    runs = session_runnable_plan(moved)
    assert runs.chair_minutes == capped.chair_minutes


def test_a_plan_is_revised_as_a_new_version_with_its_history(course, nurse, clinician, client_for):
    _, first, later = course
    reaction = react(client_for(nurse), first)
    url = reverse("infusions:reaction-plan", args=[reaction.pk])
    doctor = client_for(clinician)
    made = doctor.post(url, {"max_rate_ml_per_h": "90", "bookings_to_move": "on"})
    assert made.status_code == 302
    page = doctor.get(url).content.decode()
    assert "Version 1: maximum 90 mL/h" in page and "Revise the plan" in page
    answer = doctor.post(
        url,
        {
            "max_rate_ml_per_h": "120",
            **rows_as_posted([{"drug": "hydrocortisone", "dose": "100", "route": "IV"}]),
            "bookings_to_move": "on",
            "version": "1",
        },
    )
    assert answer.status_code == 302
    plan = ReactionPlan.objects.get()
    assert (plan.version, plan.max_rate_ml_per_h) == (2, 120)
    assert reaction_rate_cap(later) == 120
    page = doctor.get(url).content.decode()
    history = page.split('data-testid="reaction-plan-history"')[1]
    row = history.split('data-testid="reaction-plan-version-2"')[1].split("</tr>")[0]
    assert "Maximum rate: 90 mL/h → 120 mL/h" in row
    assert "Added premedication: none → Hydrocortisone 100 mg IV, 30 min before the start" in row
    assert clinician.username in row or str(clinician) in row
    assert 'data-testid="reaction-plan-version-1"' in history
    # The version seen is stale now: a conflict, nothing changed.
    stale = doctor.post(url, {"reason": "continue", "version": "1"})
    assert stale.status_code == 409
    assert ReactionPlan.objects.get().version == 2
    # The session page links to the revision.
    session_page = doctor.get(reverse("infusions:session-detail", args=[later.pk])).content
    assert b'data-testid="reaction-plan-revise"' in session_page
    assert b"version 2" in session_page


def test_a_new_reaction_notifies_the_patients_clinicians(
    course, nurse, clinician, pharmacist, client_for, django_capture_on_commit_callbacks
):
    _, first, _ = course
    clinician.email = "dr@x.test"
    clinician.save()
    with django_capture_on_commit_callbacks(execute=True):
        reaction = react(client_for(nurse), first)
    notes = Notification.objects.filter(kind=Kind.REACTION_PLAN_NEEDED)
    assert [note.recipient for note in notes] == [clinician]  # not the nurse nor the pharmacist
    note = notes.get()
    plan_url = reverse("infusions:reaction-plan", args=[reaction.pk])
    assert note.url == plan_url
    assert "a plan is needed" in note.title and "Fever" in note.body
    assert [message.to for message in mail.outbox] == [["dr@x.test"]]
    doctor = client_for(clinician)
    inbox = doctor.get(reverse("notifications:inbox")).content.decode()
    assert "a plan is needed" in inbox
    opened = doctor.post(reverse("notifications:read", args=[note.pk]), {"next": "open"})
    assert opened.status_code == 302 and opened["Location"] == plan_url
    assert doctor.get(plan_url).status_code == 200


def api(client, method: str, url: str, body: object = None):
    payload = {} if body is None else {"data": json.dumps(body)}
    return getattr(client, method)(url, content_type="application/json", **payload)


def test_reaction_plans_through_the_api(course, nurse, clinician, client_for):
    _, first, later = course
    reaction = react(client_for(nurse), first)
    url = f"/api/v1/reactions/{reaction.pk}/plan/"
    doctor, nurse_api = client_for(clinician), client_for(nurse)
    assert api(doctor, "get", url).status_code == 404  # no plan yet
    assert api(nurse_api, "post", url, {"reason": "x"}).status_code == 403  # the page's policy
    low = api(doctor, "post", url, {"max_rate_ml_per_h": 5, "bookings_to_move": True})
    # The first step under rules v3 (see test_no_cap_below_the_protocols_first_step): 20 mL/h.
    assert low.status_code == 400 and "20 mL/h" in low.json()["detail"]
    over = api(doctor, "post", url, {"max_rate_ml_per_h": 60})
    assert over.status_code == 400
    assert over.json()["overruns"][0]["booked_minutes"] == 221
    made = api(doctor, "post", url, {"max_rate_ml_per_h": 60, "bookings_to_move": True})
    assert made.status_code == 201 and made.json()["version"] == 1
    assert api(doctor, "post", url, {"reason": "again"}).status_code == 409
    stale = api(doctor, "put", url, {"max_rate_ml_per_h": 90, "version": 7})
    assert stale.status_code == 409
    revised = api(
        doctor, "put", url, {"max_rate_ml_per_h": 90, "bookings_to_move": True, "version": 1}
    )
    assert revised.status_code == 200
    body = revised.json()
    assert (body["version"], body["max_rate_ml_per_h"]) == (2, 90)
    assert body["versions"][0]["changes"] == [
        {"field": "Maximum rate", "before": "60 mL/h", "after": "90 mL/h"}
    ]
    read = api(nurse_api, "get", url)
    assert read.status_code == 200 and read.json()["summary"] == "maximum 90 mL/h"
    assert reaction_rate_cap(later) == 90
    schema = client_for(clinician).get("/api/schema/").content.decode()
    assert "/api/v1/reactions/{id}/plan/:" in schema
    assert "bookings_to_move" in schema and "PlanVersion" in schema
