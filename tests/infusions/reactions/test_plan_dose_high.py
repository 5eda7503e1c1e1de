"""A reaction plan's added lines judged by PREMEDICATION_DOSE_HIGH (docs/clinical-rules.md 3.5):
for a child (under 18), a line above its drug's children's maximum per kg of the latest actual
weight is refused without the clinician's reason (``dose_high_reason``), on the page and the
API, recording and revising; the reason is kept on the version and its lines, and shown beside
the line on a later session. An adult is never asked; exactly at the maximum is not above."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.reactions.models import ReactionPlan, ReactionPlanLine
from orders.models import Patient, PatientWeight
from orders.premedication.forms import rows_as_posted
from tests.infusions.reactions.test_plan_lines import api_url, course, plan_url  # noqa: F401
from tests.infusions.reactions.test_services import react
from tests.orders.factories import PatientWeightFactory

pytestmark = pytest.mark.django_db

# 12 kg: diphenhydramine up to 15 mg (1.25 mg/kg), acetaminophen up to 180 mg (15 mg/kg).
ABOVE = [{"drug": "diphenhydramine", "dose": "15.1", "route": "PO"}]
AT_MAXIMUM = [
    {"drug": "diphenhydramine", "dose": "15", "route": "PO"},
    {"drug": "acetaminophen", "dose": "180", "route": "PO"},
]
FOUND = "Diphenhydramine 15.1 mg is 1.26 mg/kg, above 1.25 mg/kg"
REASON = "Weight gained since; dose agreed with the allergist"


def weighs(patient: Patient, weight_kg: str, by) -> None:
    PatientWeightFactory.create(
        patient=patient,
        weight_kg=Decimal(weight_kg),
        measured_on=timezone.localdate(),
        recorded_by=by,
    )


def make_child(patient: Patient) -> None:
    born = timezone.localdate() - timedelta(days=10 * 365)
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born)


@pytest.fixture
def child_reaction(course, nurse, clinician, client_for):  # noqa: F811
    """A reaction of a 10-year-old whose latest actual weight is 12 kg."""
    order, first, later = course
    reaction = react(client_for(nurse), first)
    make_child(order.patient)
    weighs(order.patient, "12", nurse)
    return reaction, later


def test_the_page_refuses_a_childs_line_above_the_maximum_without_a_reason(
    child_reaction, clinician, nurse, client_for
) -> None:
    reaction, later = child_reaction
    doctor = client_for(clinician)
    first_look = doctor.get(plan_url(reaction)).content.decode()
    assert 'data-testid="dose-high-reason"' not in first_look  # asked only when needed
    refused = doctor.post(plan_url(reaction), rows_as_posted(ABOVE))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert FOUND in page and 'data-testid="dose-high-reason"' in page
    assert not ReactionPlan.objects.exists()

    saved = doctor.post(plan_url(reaction), {**rows_as_posted(ABOVE), "dose_high_reason": REASON})
    assert saved.status_code == 302
    plan = ReactionPlan.objects.get()
    assert plan.dose_high_reason == REASON
    assert plan.history.get().dose_high_reason == REASON
    assert ReactionPlanLine.objects.get().dose_high_reason == REASON
    # The revision's page asks again, with the finding and the reason given.
    revising = doctor.get(plan_url(reaction)).content.decode()
    assert FOUND in revising and REASON in revising
    # The later session shows the reason beside the line.
    session_page = client_for(nurse).get(reverse("infusions:session-detail", args=[later.pk]))
    row = session_page.content.decode().split('premedication-given-plan-diphenhydramine"')[1]
    assert f"above the child maximum: {REASON}" in row.split("</tr>")[0]


def test_at_exactly_the_maximum_the_reason_is_not_asked(
    child_reaction, clinician, nurse, client_for
) -> None:
    reaction, later = child_reaction
    doctor = client_for(clinician)
    assert doctor.post(plan_url(reaction), rows_as_posted(AT_MAXIMUM)).status_code == 302
    plan = ReactionPlan.objects.get()
    assert plan.dose_high_reason == ""
    assert 'data-testid="dose-high-reason"' not in doctor.get(plan_url(reaction)).content.decode()
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[later.pk]))
    assert b"above the child maximum" not in page.content


def test_an_adult_is_never_asked(course, clinician, nurse, client_for) -> None:  # noqa: F811
    order, first, _ = course
    reaction = react(client_for(nurse), first)
    weighs(order.patient, "40", nurse)  # 75 mg is 1.88 mg/kg: above a child's maximum
    adult_dose = [{"drug": "diphenhydramine", "dose": "75", "route": "PO"}]
    answer = client_for(clinician).post(plan_url(reaction), rows_as_posted(adult_dose))
    assert answer.status_code == 302
    assert ReactionPlan.objects.get().dose_high_reason == ""


def test_the_api_refuses_on_dose_high_reason_then_records_and_revises(
    child_reaction, clinician, client_for
) -> None:
    reaction, _ = child_reaction
    doctor = client_for(clinician)
    body = {"added_lines": [{"drug": "diphenhydramine", "dose": "15.1"}]}
    refused = doctor.post(api_url(reaction), body, content_type="application/json")
    assert refused.status_code == 400
    (message,) = refused.json()["field_errors"]["dose_high_reason"]
    assert FOUND in message
    made = doctor.post(
        api_url(reaction), {**body, "dose_high_reason": REASON}, content_type="application/json"
    )
    assert made.status_code == 201, made.json()
    assert made.json()["dose_high_reason"] == REASON
    assert made.json()["added_lines"][0]["dose_high_reason"] == REASON

    higher = {"version": 1, "added_lines": [{"drug": "acetaminophen", "dose": "181"}]}
    refused = doctor.put(api_url(reaction), higher, content_type="application/json")
    assert refused.status_code == 400
    assert (
        "Acetaminophen 181 mg is 15.08 mg/kg, above 15 mg/kg"
        in (refused.json()["field_errors"]["dose_high_reason"][0])
    )
    lower = {"version": 1, "added_lines": [{"drug": "acetaminophen", "dose": "180"}],
             "dose_high_reason": REASON}  # fmt: skip
    revised = doctor.put(api_url(reaction), lower, content_type="application/json")
    assert revised.status_code == 200, revised.json()
    assert revised.json()["dose_high_reason"] == ""  # nothing above: no reason kept
    assert revised.json()["versions"][0]["changes"][-1] == {
        "field": "Reason for a dose above the child maximum",
        "before": REASON,
        "after": "none",
    }


def test_a_child_without_a_weight_is_refused_until_one_is_recorded(
    course,  # noqa: F811
    clinician,
    nurse,
    client_for,
) -> None:
    order, first, _ = course
    reaction = react(client_for(nurse), first)
    make_child(order.patient)
    PatientWeight.objects.filter(patient=order.patient).delete()
    doctor = client_for(clinician)
    refused = doctor.post(
        api_url(reaction), {"added_lines": AT_MAXIMUM}, content_type="application/json"
    )
    assert refused.status_code == 400
    (message,) = refused.json()["field_errors"]["added_lines"]
    assert "record the weight before adding Diphenhydramine, Acetaminophen" in message
    page = doctor.post(plan_url(reaction), rows_as_posted(AT_MAXIMUM))
    assert page.status_code == 400 and "record the weight" in page.content.decode()
    # A drug without a children's maximum reads no weight.
    hydrocortisone = {"added_lines": [{"drug": "hydrocortisone", "dose": "50", "route": "IV"}]}
    made = doctor.post(api_url(reaction), hydrocortisone, content_type="application/json")
    assert made.status_code == 201, made.json()
