"""The demo courses from a fresh ``seed_demo`` (docs/clinical-rules.md 9, 10.4): run twice, the
pemphigus patient has labs, one response review and one reaction, the patient page shows them,
the course chart draws exactly what its table lists, and the course's session today carries
PRIOR_INFUSION_REACTION until a clinician records a plan; the bullous pemphigoid patient's
reaction has a plan (a lower maximum rate and hydrocortisone), so her session today runs capped
without the finding."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from demo.seeding.patients_and_orders import (
    COURSE_DEMO_MRN,
    COURSE_LABS,
    COURSE_NOTES,
    PLANNED_COURSE_LABS,
    PLANNED_COURSE_MRN,
    PLANNED_COURSE_NOTES,
)
from infusions.models import AdministrationEntry, EntryKind, InfusionSession, SessionStatus
from infusions.reactions.models import ReactionPlan
from ivig.accounts.models import User
from ivig.engine import FINDING_TITLES
from orders.labs.models import LabResult
from orders.models import Order, Patient
from orders.reviews.models import ResponseReview

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # adds nothing twice
    return Patient.objects.get(mrn=COURSE_DEMO_MRN)


def test_the_demo_course_is_made_once(patient):
    order = Order.objects.get(patient=patient, notes=COURSE_NOTES)
    assert LabResult.objects.filter(patient=patient).count() == len(COURSE_LABS)
    review = ResponseReview.objects.get(lineage__patient=patient)
    assert (review.measure, review.response, review.decision) == ("pdai", "partial", "continue")
    assert review.prednisone_mg_per_day == Decimal(15)
    reaction = AdministrationEntry.objects.get(
        session__order__patient=patient, kind=EntryKind.ADVERSE_EVENT
    )
    assert (reaction.symptoms, reaction.severity) == (["fever", "headache"], "moderate")
    past = reaction.session
    assert past.status == SessionStatus.COMPLETED and past.order == order
    assert timezone.localtime(past.planned_start).date() == timezone.localdate() - timedelta(28)
    assert past.entries.filter(kind=EntryKind.COMPLETED).count() == 1


def test_the_patient_page_shows_labs_review_and_reaction_and_the_chart_matches_its_table(
    patient, client_for
):
    clinician = User.objects.get(username="clinician")
    html = client_for(clinician).get(reverse("orders:patient-detail", args=[patient.pk]))
    html = html.content.decode()
    # Labs: a trend per test, the desmoglein titres among them.
    trends = re.findall(r'data-testid="lab-trend-([^"]+)"', html)
    assert len(trends) == len({analyte for analyte, _, _ in COURSE_LABS})
    assert "desmoglein 3" in html.lower()
    # The reaction, with its rate at onset.
    reaction = AdministrationEntry.objects.get(
        session__order__patient=patient, kind=EntryKind.ADVERSE_EVENT
    )
    row = html.split(f'data-testid="reaction-{reaction.pk}"')[1].split("</tr>")[0]
    assert "Fever, Moderate to severe headache" in row and '<td class="">Moderate<' in row
    assert re.search(r'<td class="num">\d+</td>', row)  # the rate at onset
    # The chart: every drawn point is a table row and the other way round.
    svg = html[html.index("<svg") : html.index("</svg>")]
    table = html[html.index('data-testid="course-table"') :]
    drawn = re.findall(r'data-series="([^"]+)" data-date="([^"]+)" data-value="([^"]+)"', svg)
    listed = re.findall(
        r'<tr data-series="([^"]+)" data-date="([^"]+)" data-value="([^"]+)"', table
    )
    assert drawn and sorted(drawn) == sorted(listed)
    review = ResponseReview.objects.get(lineage__patient=patient)
    day = review.reviewed_on.isoformat()
    assert ("score-pdai", day, "14") in drawn and ("prednisone", day, "15") in drawn
    assert [key for key, _, _ in drawn].count("ivig") == 1  # the one completed cycle day
    markers = re.findall(r'data-marker="([^"]+)" data-date="([^"]+)"', svg)
    reaction_day = timezone.localtime(reaction.occurred_at).date().isoformat()
    assert ("reaction", reaction_day) in markers
    assert f'<tr data-series="reaction" data-date="{reaction_day}"' in table


def test_the_courses_session_today_carries_the_reaction(patient, client_for):
    later = (
        InfusionSession.objects.filter(order__patient=patient, status=SessionStatus.BOOKED)
        .order_by("planned_start")
        .first()
    )
    assert later is not None and later.cycle_number == 3
    nurse = User.objects.get(username="nurse")
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[later.pk]))
    text = page.content.decode()
    assert FINDING_TITLES["PRIOR_INFUSION_REACTION"] in text and "has no plan yet" in text


def test_the_second_course_has_a_reaction_plan_and_runs_capped(patient, client_for):
    planned = Patient.objects.get(mrn=PLANNED_COURSE_MRN)
    order = Order.objects.get(patient=planned, notes=PLANNED_COURSE_NOTES)
    assert LabResult.objects.filter(patient=planned).count() == len(PLANNED_COURSE_LABS)
    assert ResponseReview.objects.get(lineage__patient=planned).measure == "bpdai"
    plan = ReactionPlan.objects.get(reaction__session__order=order)  # one, never twice
    assert plan.recorded_by.username == "clinician"
    assert "Hydrocortisone 100 mg IV" in plan.added_lines_words
    assert [line.drug.slug for line in plan.lines.all()] == ["hydrocortisone"]
    reaction = plan.reaction
    assert plan.max_rate_ml_per_h is not None
    assert reaction.session.status == SessionStatus.COMPLETED
    later = (
        InfusionSession.objects.filter(order=order, status=SessionStatus.BOOKED)
        .order_by("planned_start")
        .first()
    )
    assert later is not None and later.cycle_number == 3
    nurse = User.objects.get(username="nurse")
    text = client_for(nurse).get(reverse("infusions:session-detail", args=[later.pk]))
    text = text.content.decode()
    assert "PRIOR_INFUSION_REACTION" not in text and "has no plan yet" not in text
    assert f"capped at <strong>{plan.max_rate_ml_per_h} mL/h</strong>" in text
    steps = text.split('data-testid="plan-steps"')[1].split("</table>")[0]
    rates = [int(r) for r in re.findall(r'<td class="num">(\d+)</td><td class="num">', steps)]
    assert rates and max(rates) == plan.max_rate_ml_per_h
    # Her chart carries the BP180 and BP230 titres.
    html = client_for(nurse).get(reverse("orders:patient-detail", args=[planned.pk]))
    svg = html.content.decode().split("<svg")[1].split("</svg>")[0]
    assert 'data-series="titre-bp180"' in svg and 'data-series="titre-bp230"' in svg
