"""An order's premedication lines (docs/clinical-rules.md 3.5): entered line by line, the
engine's defaults for a new order, judged by the engine for children, kept per version."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from formulary.premedication.models import PremedicationDrug
from orders.dose_plans.plan_accessor import order_plan
from orders.errors import OrderError
from orders.models import Order
from orders.premedication.services import LineValues, default_line_values, premedication_shown
from orders.services import order_create, order_update
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at
from tests.orders.factories import PatientFactory, PatientWeightFactory, order_values

pytestmark = pytest.mark.django_db


def line(slug: str, dose: str, route: str | None = None, minutes: int = 30) -> LineValues:
    drug = PremedicationDrug.objects.get(slug=slug)
    return LineValues(drug, Decimal(dose), "mg", route or drug.route, minutes)


ADULT_DEFAULT = [
    ("diphenhydramine", Decimal(25), "mg", "PO", 30),
    ("acetaminophen", Decimal(500), "mg", "PO", 30),
]


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


def test_a_new_order_starts_with_the_engines_adult_lines(clinician, worked_patient) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    assert order.premedication == ""  # no entry path writes text
    assert lines_of(order) == ADULT_DEFAULT
    assert premedication_shown(order).as_written == ()
    assert "PREMEDICATION_DOSE_HIGH" not in codes(order)


def test_a_child_given_the_adult_doses_raises_premedication_dose_high(clinician) -> None:
    adult = [line("diphenhydramine", "25"), line("acetaminophen", "500")]
    order = order_create(by=clinician, **order_values(child(clinician), premedication_lines=adult))
    plan = order_plan(order, as_of=timezone.localdate()).plan
    (found,) = [x for x in plan.findings if x.code == "PREMEDICATION_DOSE_HIGH"]
    assert found.severity == "override"
    assert "Diphenhydramine 25 mg is 2.08 mg/kg" in found.message
    assert "Acetaminophen 500 mg is 41.67 mg/kg" in found.message


def test_a_childs_weight_based_doses_raise_nothing(clinician) -> None:
    lines = [line("diphenhydramine", "15"), line("acetaminophen", "180")]  # at the maxima
    order = order_create(by=clinician, **order_values(child(clinician), premedication_lines=lines))
    assert "PREMEDICATION_DOSE_HIGH" not in codes(order)


def test_an_edit_of_a_draft_replaces_its_lines(clinician, worked_patient) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    order = order_update(
        order,
        by=clinician,
        version=order.version,
        premedication_lines=[line("hydrocortisone", "100", minutes=15)],
    )
    assert lines_of(order) == [("hydrocortisone", Decimal(100), "mg", "IV", 15)]
    history = order.premedication_lines.get().history.first()
    assert history.history_user == clinician


def test_the_same_lines_again_change_nothing(clinician, worked_patient) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    again = [line("diphenhydramine", "25"), line("acetaminophen", "500")]
    same = order_update(order, by=clinician, version=order.version, premedication_lines=again)
    assert same.version == order.version


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ([("diphenhydramine", "0")], "The dose must be above 0."),
        ([("diphenhydramine", "101")], "more than 4 times the adult dose of Diphenhydramine"),
        ([("diphenhydramine", "25", None, 45)], "15 to 30 minutes before the start"),
        ([("diphenhydramine", "25"), ("diphenhydramine", "12")], "on another line already"),
    ],
)
def test_a_bad_line_is_refused_naming_it(clinician, worked_patient, lines, said) -> None:
    with pytest.raises(OrderError) as refused:
        order_create(
            by=clinician,
            **order_values(worked_patient, premedication_lines=[line(*args) for args in lines]),
        )
    assert said in " ".join(refused.value.field_errors["premedication_lines"])
    assert not Order.objects.exists()


def test_a_drug_out_of_the_catalogue_is_refused_on_a_new_line(clinician, worked_patient) -> None:
    PremedicationDrug.objects.filter(slug="cetirizine").update(active=False)
    with pytest.raises(OrderError, match="no longer in the premedication catalogue"):
        order_create(
            by=clinician,
            **order_values(worked_patient, premedication_lines=[line("cetirizine", "10")]),
        )


def test_what_does_not_read_is_kept_as_written_until_lines_replace_it(
    clinician, worked_patient
) -> None:
    order = order_create(by=clinician, **order_values(worked_patient, premedication_lines=[]))
    Order.objects.filter(pk=order.pk).update(premedication="cetirizine 10 mg; Tylenol 1 tab")
    order.refresh_from_db()
    order.premedication_lines.all().delete()
    assert premedication_shown(order).as_written == ("cetirizine 10 mg", "Tylenol 1 tab")
    order = order_update(
        order, by=clinician, version=order.version, premedication_lines=[line("cetirizine", "10")]
    )
    assert order.premedication == ""
    assert premedication_shown(order).as_written == ()


def test_a_new_version_copies_the_lines(clinician, worked_patient, sign) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    overrides = [x.code for x in order_plan(order, as_of=timezone.localdate()).plan.findings]
    signed = sign(order, clinician, {code: "meant" for code in overrides})
    successor = order_update(signed, by=clinician, version=signed.version, cycles=3)
    assert successor.pk != signed.pk
    assert lines_of(successor) == ADULT_DEFAULT
    changed = order_update(
        successor,
        by=clinician,
        version=successor.version,
        premedication_lines=[line("cetirizine", "10")],
    )
    assert lines_of(changed) == [("cetirizine", Decimal(10), "mg", "PO", 30)]
    assert lines_of(signed) == ADULT_DEFAULT  # the signed version keeps its own


def test_a_new_version_with_lines_writes_them(clinician, worked_patient, sign) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    overrides = [x.code for x in order_plan(order, as_of=timezone.localdate()).plan.findings]
    signed = sign(order, clinician, {code: "meant" for code in overrides})
    successor = order_update(
        signed, by=clinician, version=signed.version, premedication_lines=[line("cetirizine", "10")]
    )
    assert successor.pk != signed.pk
    assert lines_of(successor) == [("cetirizine", Decimal(10), "mg", "PO", 30)]


def test_a_childs_new_order_starts_with_weight_based_doses(clinician) -> None:
    order = order_create(by=clinician, **order_values(child(clinician)))
    assert lines_of(order) == [
        ("diphenhydramine", Decimal(12), "mg", "PO", 30),
        ("acetaminophen", Decimal(180), "mg", "PO", 30),
    ]
    assert "PREMEDICATION_DOSE_HIGH" not in codes(order)


def test_a_child_without_a_weight_starts_with_no_lines(clinician) -> None:
    patient = PatientFactory.create(date_of_birth=timezone.localdate() - timedelta(days=5 * 365))
    assert default_line_values(patient, timezone.localdate()) == []


def test_the_order_page_shows_the_lines_and_what_is_kept_as_written(
    clinician, worked_patient, client_for
) -> None:
    order = order_create(
        by=clinician,
        **order_values(worked_patient, premedication_lines=[line("cetirizine", "10")]),
    )
    Order.objects.filter(pk=order.pk).update(premedication="cetirizine 10 mg; Tylenol 1 tab")
    page = client_for(clinician).get(reverse("orders:order-detail", args=[order.pk]))
    text = page.content.decode()
    assert "Cetirizine 10 mg PO, 30 min before the start" in text
    assert "As written:</small> Tylenol 1 tab" in text


def test_the_order_api_gives_the_lines(clinician, worked_patient, client_for) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    body = client_for(clinician).get(f"/api/v1/orders/{order.pk}/").json()
    assert body["premedication"] == ""
    assert body["premedication_lines"] == [
        {
            "drug": "diphenhydramine",
            "dose": "25.00",
            "unit": "mg",
            "route": "PO",
            "minutes_before_start": 30,
        },
        {
            "drug": "acetaminophen",
            "dose": "500.00",
            "unit": "mg",
            "route": "PO",
            "minutes_before_start": 30,
        },
    ]


def test_an_order_without_lines_shows_its_whole_text_as_written(clinician) -> None:
    order = verified_order()  # made straight in the database: no lines
    shown = premedication_shown(order)
    assert shown.lines == []
    assert shown.as_written == ("diphenhydramine 25 mg PO", "acetaminophen 500 mg PO")


def test_the_sheet_and_the_session_page_show_the_lines(clinician, nurse, client_for) -> None:
    order = order_create(
        by=clinician,
        **order_values(child(clinician), premedication_lines=[line("diphenhydramine", "12")]),
    )
    sheet = client_for(clinician).get(reverse("orders:order-print", args=[order.pk]))
    assert "Diphenhydramine 12 mg PO, 30 min before the start" in sheet.content.decode()
    booked = verified_order()
    session = session_for(booked, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[session.pk]))
    assert "As written:</small> diphenhydramine 25 mg PO; acetaminophen 500 mg PO" in (
        page.content.decode()
    )
