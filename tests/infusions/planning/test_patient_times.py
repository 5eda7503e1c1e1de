"""Patients' time windows and preferences (docs/planner.md): kept by nurses with their history,
honoured by the planner's suggestions (the window hard, the preference soft) and shown with the
booking proposal's reason."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from infusions.errors import InfusionError
from infusions.models import SessionStatus
from infusions.planning import selectors, solver
from infusions.planning.models import PatientPreference
from infusions.planning.services import preference_save
from ivig.audit.models import AccessLog
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.infusions.planning.test_api import one_nurse

pytestmark = pytest.mark.django_db

OPEN_8_TO_6 = [(weekday, "08:00", "18:00") for weekday in range(7)]


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=2)


def tentative_at_eight(nurse, day):
    chairs = [ChairFactory.create(name=f"{n} chair", hours=OPEN_8_TO_6) for n in "AB"]
    order = verified_order(start_date=day, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"))
    session = session_for(
        order, chairs[0], local(day, "08:00"), by=nurse, status=SessionStatus.TENTATIVE
    )
    return chairs, order, session


def placement_of(suggestion, session):
    (placement,) = [p for p in suggestion.result.placements if p.session_id == session.pk]
    return placement


def test_the_planner_honours_the_patients_window(nurse, day):
    _, order, session = tentative_at_eight(nurse, day)
    one_nurse(nurse, day)
    preference_save(order.patient, by=nurse, earliest_start=time(11), latest_end=time(17))
    suggestion = selectors.suggest(day, 1)
    placement = placement_of(suggestion, session)
    assert placement.start_min >= 11 * 60
    assert placement.end_min <= 17 * 60
    assert suggestion.violations == []
    # The window is hard: the checker refuses the session where it was.
    stay = solver.PlanResult(
        "CHECK",
        None,
        None,
        0.0,
        tuple(
            solver.Placement(
                p.session_id, session.chair_id, 0, 480, 480 + (p.end_min - p.start_min)
            )
            for p in suggestion.result.placements
        ),
        (),
        suggestion.result.measures,
    )
    assert any(
        "before the patient's window" in v for v in solver.check(suggestion.context.problem, stay)
    )


def test_the_planner_keeps_the_patients_preference_when_it_can(nurse, day):
    chairs, order, session = tentative_at_eight(nurse, day)
    one_nurse(nurse, day)
    preference_save(
        order.patient,
        by=nurse,
        preferred_start_from=time(10),
        preferred_start_to=time(10, 30),
        preferred_chair=chairs[1],
    )
    suggestion = selectors.suggest(day, 1)
    placement = placement_of(suggestion, session)
    assert (placement.chair_id, placement.start_min) == (chairs[1].pk, 600)
    assert suggestion.violations == []


def test_without_a_stored_preference_the_planner_keeps_the_told_time(nurse, day):
    _, _, session = tentative_at_eight(nurse, day)
    one_nurse(nurse, day)
    assert not placement_of(selectors.suggest(day, 1), session).moved


def test_a_window_that_ends_before_it_starts_is_refused(nurse, day):
    _, order, _ = tentative_at_eight(nurse, day)
    with pytest.raises(InfusionError, match="latest end is after the earliest start"):
        preference_save(order.patient, by=nurse, earliest_start=time(12), latest_end=time(9))
    with pytest.raises(InfusionError, match="both ends"):
        preference_save(order.patient, by=nurse, preferred_start_from=time(9))
    with pytest.raises(InfusionError, match="within the patient's time window"):
        preference_save(
            order.patient,
            by=nurse,
            earliest_start=time(10),
            preferred_start_from=time(9),
            preferred_start_to=time(9, 30),
        )


def test_nurses_keep_the_times_with_their_history(nurse, client_for, day):
    chairs, order, _ = tentative_at_eight(nurse, day)
    url = f"/infusions/planner/patients/{order.patient.pk}/times/"
    client = client_for(nurse)
    before = AccessLog.objects.count()
    page = client.get(url)
    assert page.status_code == 200
    assert AccessLog.objects.count() == before + 1  # the page names the patient
    answer = client.post(
        url,
        {
            "earliest_start": "09:00",
            "latest_end": "16:00",
            "preferred_start_from": "10:00",
            "preferred_start_to": "11:00",
            "preferred_chair": chairs[1].pk,
            "next": "https://elsewhere.example/",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == url  # never off this site
    kept = PatientPreference.objects.get(patient=order.patient)
    assert (kept.earliest_start, kept.latest_end) == (time(9), time(16))
    assert kept.preferred_chair == chairs[1]
    (row,) = kept.history.all()
    assert row.history_user == nurse
    assert row.history_change_reason == "Time window and preferences saved"


def test_a_bad_window_is_a_form_error_not_a_500(nurse, client_for, day):
    _, order, _ = tentative_at_eight(nurse, day)
    answer = client_for(nurse).post(
        f"/infusions/planner/patients/{order.patient.pk}/times/",
        {"earliest_start": "15:00", "latest_end": "09:00"},
    )
    assert answer.status_code == 200
    assert "The latest end is after the earliest start." in answer.content.decode()
    assert not PatientPreference.objects.exists()


def test_clinicians_may_not_keep_the_times(clinician, client_for, day, nurse):
    _, order, _ = tentative_at_eight(nurse, day)
    url = f"/infusions/planner/patients/{order.patient.pk}/times/"
    assert client_for(clinician).get(url).status_code == 403
    assert client_for(clinician).post(url, {"earliest_start": "09:00"}).status_code == 403


def test_the_booking_page_says_why_the_slot_was_chosen(nurse, client_for, day):
    ChairFactory.create(name="A chair", hours=OPEN_8_TO_6)
    order = verified_order(start_date=day, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"))
    client = client_for(nurse)
    text = client.get(f"/infusions/orders/{order.pk}/cycles/1/book/").content.decode()
    assert 'data-testid="proposal-why"' in text
    assert "First fit: no nurse is on shift" in text
    assert f"/infusions/planner/patients/{order.patient.pk}/times/" in text
    one_nurse(nurse, day)
    text = client.get(f"/infusions/orders/{order.pk}/cycles/1/book/").content.decode()
    assert "Ranked by the planner: keeps the nurses&#x27; ratio" in text
    assert 'data-testid="proposal-over-ratio"' not in text


def test_the_booking_page_shows_the_nurse_load_when_the_proposal_breaks_the_ratio(
    nurse, client_for, day
):
    from infusions.planning.services import policy_save

    chairs = [
        ChairFactory.create(name=f"{n} chair", hours=[(day.weekday(), "08:00", "18:00")])
        for n in "AB"
    ]
    policy_save(by=nurse, patients_per_nurse=1, titrations_per_nurse=1)
    for week in range(8):
        on = day + timedelta(weeks=week)
        held = verified_order(start_date=on, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"))
        session_for(held, chairs[0], local(on, "08:00"), by=nurse, minutes=600)
        one_nurse(nurse, on)
    order = verified_order(start_date=day, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"))
    text = client_for(nurse).get(f"/infusions/orders/{order.pk}/cycles/1/book/").content.decode()
    assert 'data-testid="proposal-over-ratio"' in text
    assert 'data-testid="nurse-load"' in text
    # With the proposed session counted, one nurse holds two patients from 08:00.
    assert "is broken at 08:00" in text


def test_the_api_keeps_the_times_for_nurses_only(nurse, clinician, client_for, day):
    chairs, order, _ = tentative_at_eight(nurse, day)
    url = f"/api/v1/planner/patients/{order.patient.pk}/times/"
    nurses = client_for(nurse)
    empty = nurses.get(url)
    assert empty.status_code == 200
    assert empty.json()["earliest_start"] is None
    body = {"earliest_start": "09:00", "latest_end": "16:00", "preferred_chair": chairs[1].pk}
    saved = nurses.put(url, body, content_type="application/json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["earliest_start"] == "09:00:00"
    assert saved.json()["preferred_chair"] == chairs[1].pk
    bad = nurses.put(
        url, {"earliest_start": "16:00", "latest_end": "09:00"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert client_for(clinician).get(url).status_code == 403
    assert client_for(clinician).put(url, body, content_type="application/json").status_code == 403
    assert nurses.get("/api/v1/planner/patients/999999/times/").status_code == 404
