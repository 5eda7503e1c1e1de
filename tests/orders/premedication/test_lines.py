"""An order's premedication lines (docs/clinical-rules.md 3.5): read from what the clinician
writes on every save, judged by the engine for children, kept per version."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.dose_plans.plan_accessor import order_plan
from orders.premedication.services import premedication_shown
from orders.services import order_create, order_update
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at
from tests.orders.factories import PatientFactory, PatientWeightFactory, order_values

pytestmark = pytest.mark.django_db

ADULT_DEFAULT = "diphenhydramine 25 mg PO; acetaminophen 500 mg PO"


def child(clinician):
    """A 3-year-old of 12 kg, 90 cm."""
    patient = PatientFactory.create(
        date_of_birth=timezone.localdate() - timedelta(days=3 * 365 + 30), height_cm=Decimal(90)
    )
    PatientWeightFactory.create(patient=patient, weight_kg=Decimal(12), recorded_by=clinician)
    return patient


def lines_of(order):
    return [
        (line.drug.slug, line.dose, line.dose_unit, line.route, line.minutes_before)
        for line in order.premedication_lines.select_related("drug")
    ]


def codes(order):
    plan = order_plan(order, as_of=timezone.localdate()).plan
    return [finding.code for finding in plan.findings]


def test_the_policys_default_becomes_two_lines(clinician, worked_patient) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    assert order.premedication == ADULT_DEFAULT
    assert lines_of(order) == [
        ("diphenhydramine", Decimal(25), "mg", "PO", 30),
        ("acetaminophen", Decimal(500), "mg", "PO", 30),
    ]
    assert premedication_shown(order).as_written == ()
    assert "PREMEDICATION_DOSE_HIGH" not in codes(order)


def test_a_child_given_the_adult_default_raises_premedication_dose_high(clinician) -> None:
    order = order_create(
        by=clinician, **order_values(child(clinician), premedication=ADULT_DEFAULT)
    )
    plan = order_plan(order, as_of=timezone.localdate()).plan
    (found,) = [x for x in plan.findings if x.code == "PREMEDICATION_DOSE_HIGH"]
    assert found.severity == "override"
    assert "Diphenhydramine 25 mg is 2.08 mg/kg" in found.message
    assert "Acetaminophen 500 mg is 41.67 mg/kg" in found.message


def test_a_childs_weight_based_doses_raise_nothing(clinician) -> None:
    order = order_create(
        by=clinician,
        **order_values(
            child(clinician), premedication="diphenhydramine 12 mg PO; acetaminophen 180 mg PO"
        ),
    )
    assert "PREMEDICATION_DOSE_HIGH" not in codes(order)


def test_an_edit_of_a_draft_reads_the_lines_again(clinician, worked_patient) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    order = order_update(
        order, by=clinician, version=order.version, premedication="hydrocortisone 100 mg"
    )
    assert lines_of(order) == [("hydrocortisone", Decimal(100), "mg", "IV", 30)]


def test_what_does_not_read_is_kept_as_written(clinician, worked_patient) -> None:
    order = order_create(
        by=clinician,
        **order_values(worked_patient, premedication="cetirizine 10 mg; Tylenol 1 tab"),
    )
    shown = premedication_shown(order)
    assert [line.drug.slug for line in shown.lines] == ["cetirizine"]
    assert shown.as_written == ("Tylenol 1 tab",)


def test_a_new_version_has_its_own_lines(clinician, worked_patient, sign) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    overrides = [x.code for x in order_plan(order, as_of=timezone.localdate()).plan.findings]
    signed = sign(order, clinician, {code: "meant" for code in overrides})
    successor = order_update(
        signed, by=clinician, version=signed.version, premedication="cetirizine 10 mg PO"
    )
    assert successor.pk != signed.pk
    assert lines_of(successor) == [("cetirizine", Decimal(10), "mg", "PO", 30)]
    assert len(lines_of(signed)) == 2  # the signed version keeps its own


def test_a_childs_new_order_starts_with_weight_based_doses(clinician) -> None:
    order = order_create(by=clinician, **order_values(child(clinician)))
    assert order.premedication == "diphenhydramine 12 mg PO; acetaminophen 180 mg PO"
    assert lines_of(order) == [
        ("diphenhydramine", Decimal(12), "mg", "PO", 30),
        ("acetaminophen", Decimal(180), "mg", "PO", 30),
    ]
    assert "PREMEDICATION_DOSE_HIGH" not in codes(order)


def test_the_new_order_form_offers_a_child_the_weight_based_doses(clinician, client_for) -> None:
    patient = child(clinician)
    page = client_for(clinician).get(reverse("orders:order-create"), {"patient": patient.pk})
    assert "diphenhydramine 12 mg PO; acetaminophen 180 mg PO" in page.content.decode()


def test_the_order_page_shows_the_lines_and_what_is_kept_as_written(
    clinician, worked_patient, client_for
) -> None:
    order = order_create(
        by=clinician,
        **order_values(worked_patient, premedication="cetirizine 10 mg; Tylenol 1 tab"),
    )
    page = client_for(clinician).get(reverse("orders:order-detail", args=[order.pk]))
    text = page.content.decode()
    assert "Cetirizine 10 mg PO, 30 min before the start" in text
    assert "As written:</small> Tylenol 1 tab" in text


def test_the_order_api_gives_the_lines(clinician, worked_patient, client_for) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    body = client_for(clinician).get(f"/api/v1/orders/{order.pk}/").json()
    assert body["premedication"] == ADULT_DEFAULT
    assert body["premedication_lines"] == [
        {
            "drug": "diphenhydramine",
            "dose": "25.00",
            "dose_unit": "mg",
            "route": "PO",
            "minutes_before": 30,
        },
        {
            "drug": "acetaminophen",
            "dose": "500.00",
            "dose_unit": "mg",
            "route": "PO",
            "minutes_before": 30,
        },
    ]


def test_an_order_without_lines_shows_its_whole_text_as_written(clinician) -> None:
    order = verified_order()  # made straight in the database: no lines
    shown = premedication_shown(order)
    assert shown.lines == []
    assert shown.as_written == ("diphenhydramine 25 mg PO", "acetaminophen 500 mg PO")


def test_the_sheet_and_the_session_page_show_the_lines(clinician, nurse, client_for) -> None:
    order = order_create(
        by=clinician, **order_values(child(clinician), premedication="diphenhydramine 12 mg")
    )
    sheet = client_for(clinician).get(reverse("orders:order-print", args=[order.pk]))
    assert "Diphenhydramine 12 mg PO, 30 min before the start" in sheet.content.decode()
    booked = verified_order()
    session = session_for(booked, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[session.pk]))
    assert "As written:</small> diphenhydramine 25 mg PO; acetaminophen 500 mg PO" in (
        page.content.decode()
    )
