"""A page of orders' plan facts read in bulk (orders/dose_plans/plan_facts.py, issue 21): each bulk
reader answers every patient or order as its single reader does (the single one is the bulk one
asked for one), and plans made on facts read in bulk for a page are the plans asked one by one:
one truth, a constant number of queries per page."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from authorizations.coverage_rules import (
    approvals_for_order,
    approvals_for_orders,
    coverage_of_planned,
    order_coverage,
    order_is_covered,
    orders_are_covered,
)
from formulary.engine_inputs import product_facts
from formulary.models import ProductPrice
from formulary.services import FormularyError
from infusions.booking.last_cycle import last_cycles_of, patient_last_cycle
from infusions.booking.models import SessionStatus
from infusions.booking.session_plan import live_sessions, live_sessions_of
from ivig.accounts.models import User
from ivig.accounts.recheck import CurrentRequestMiddleware
from ivig.engine.models import ProductFacts
from orders.dose_plans import plan_facts
from orders.dose_plans.engine_inputs import (
    latest_weight,
    latest_weights,
    patient_facts,
    patients_facts,
    product_facts_key,
)
from orders.dose_plans.plan_accessor import calendar_rows_of, order_plan
from orders.dose_plans.plan_facts import read_plan_facts
from orders.labs.models import Analyte, LabTest
from orders.labs.selectors import lab_fact_fields, lab_fact_fields_of
from orders.labs.services import lab_result_record
from orders.models import Order, OrderStatus, Patient
from orders.reviews.models import ResponseReview
from orders.reviews.selectors import hemoglobin_reviews, hemoglobin_reviews_of
from orders.services import order_create, order_sign
from tests.authorizations.factories import approved
from tests.conftest import TEST_PASSWORD
from tests.formulary.factories import ProductFactory
from tests.infusions.factories import ChairFactory, session_for
from tests.interop.conftest import completed_session

from .factories import PatientFactory, PatientWeightFactory, order_values, worked_example_patient

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _sign(clinician: User, patient: Patient, **values: Any) -> Order:
    """A signed order of the worked example's regimen, each override answered."""
    draft = order_create(by=clinician, **order_values(patient, **values))
    raised = order_plan(draft, as_of=TODAY).plan.findings
    reasons = {f.code: "Meant." for f in raised if f.severity == "override"}
    return order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons=reasons, version=draft.version
    )


def _lab(patient: Patient, clinician: User, analyte: str, days_ago: int, value: str) -> Any:
    test = LabTest.objects.filter(analyte=analyte).order_by("pk").first()
    assert test is not None
    result, _created = lab_result_record(
        patient, by=clinician, test=test, taken_on=TODAY - timedelta(days=days_ago), value=value
    )
    return result


def _varied(clinician: User, nurse: User) -> tuple[list[Order], list[Patient]]:
    """Three patients and a patient with nothing: the first with two signed orders, weights
    before and after today, labs, a cycle given (one day's grams recorded), a review of the
    hemoglobin's fall after it and an approval covering one order only; the second with a low
    eGFR answered by an override, a booked session and an approval too small; the third with a
    draft."""
    first = worked_example_patient(clinician)
    PatientWeightFactory.create(
        patient=first, weight_kg=Decimal("90"), measured_on=TODAY - timedelta(days=40)
    )
    PatientWeightFactory.create(
        patient=first, weight_kg=Decimal("70"), measured_on=TODAY + timedelta(days=2)
    )
    _lab(first, clinician, Analyte.HEMOGLOBIN, 40, "13.5")
    fallen = _lab(first, clinician, Analyte.HEMOGLOBIN, 2, "11.2")
    _lab(first, clinician, Analyte.EGFR, 5, "75")
    _lab(first, clinician, Analyte.CREATININE, 5, "0.9")
    given = _sign(clinician, first, start_date=TODAY - timedelta(days=6), cycles=2)
    concurrent = _sign(clinician, first, start_date=TODAY + timedelta(days=84))
    approved(
        given,
        valid_from=TODAY - timedelta(days=30),
        valid_to=TODAY + timedelta(days=400),
        cycles=6,
        grams=2000,
    )
    chair = ChairFactory.create()
    completion = {"volume_ml": Decimal(250), "grams_given": Decimal(25)}
    first_day = timezone.now().replace(hour=9) - timedelta(days=6)
    completed_session(given, chair, first_day, nurse, completion)  # its grams recorded
    session_for(
        given,
        chair,
        first_day + timedelta(days=1),
        by=nurse,
        status=SessionStatus.COMPLETED,
        day_number=2,
    )
    ResponseReview.objects.create(
        lineage=given,
        order=given,
        after_cycle=1,
        reviewed_on=TODAY - timedelta(days=1),
        measure="pga",
        score=Decimal(3),
        prednisone_mg_per_day=Decimal(5),
        response="partial",
        decision="continue",
        hemoglobin_result=fallen,
        recorded_by=clinician,
    )
    second = worked_example_patient(clinician)
    _lab(second, clinician, Analyte.EGFR, 3, "50")
    booked = _sign(clinician, second)
    approved(booked, valid_from=TODAY, valid_to=TODAY + timedelta(days=400), cycles=1, grams=200)
    session_for(booked, chair, timezone.now() + timedelta(days=3), by=nurse)
    third = worked_example_patient(clinician)
    draft = order_create(by=clinician, **order_values(third))
    nothing = PatientFactory.create()
    return [given, concurrent, booked, draft], [first, second, third, nothing]


@pytest.fixture
def varied(clinician: User, nurse: User) -> tuple[list[Order], list[Patient]]:
    return _varied(clinician, nurse)


def _fresh(orders: list[Order]) -> list[Order]:
    """The orders read again (no answer kept on them), as a page reads them."""
    by_pk = Order.objects.select_related("patient", "product", "indication").in_bulk(
        [order.pk for order in orders]
    )
    return [by_pk[order.pk] for order in orders]


def _in_a_read(method: str, view: Callable[[], None]) -> None:
    def serve(request: Any) -> HttpResponse:
        view()
        return HttpResponse()

    CurrentRequestMiddleware(serve)(getattr(RequestFactory(), method)("/"))


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("read again one by one")


# --- each bulk reader answers as its single reader ----------------------------------------------


@pytest.mark.parametrize("days_ago", [0, 3])
def test_each_patient_reader_in_bulk_answers_as_for_one_patient(varied, days_ago):
    _orders, patients = varied
    as_of = TODAY - timedelta(days=days_ago)
    pks = [patient.pk for patient in patients]
    weights = latest_weights(patients, as_of=as_of)
    assert weights == {p.pk: latest_weight(p, as_of=as_of) for p in patients}
    latest = weights[pks[0]]
    assert latest is not None and latest.measured_on <= as_of and weights[pks[3]] is None
    labs = lab_fact_fields_of(patients, as_of=as_of)
    assert labs == {p.pk: lab_fact_fields(p, as_of=as_of) for p in patients}
    assert labs[pks[0]] != labs[pks[1]] != labs[pks[3]]
    reviews = hemoglobin_reviews_of(patients, as_of=as_of)
    assert reviews == {p.pk: hemoglobin_reviews(p, as_of=as_of) for p in patients}
    assert [len(reviews[pk]) for pk in pks] == [int(days_ago == 0), 0, 0, 0]
    cycles = last_cycles_of(patients, as_of)
    assert cycles == {p.pk: patient_last_cycle(p, as_of) for p in patients}
    assert cycles[pks[0]] is not None and cycles[pks[1]] is None
    facts = patients_facts(patients, as_of=as_of)
    assert facts == {p.pk: patient_facts(p, as_of=as_of) for p in patients}


def test_each_calendar_reader_in_bulk_answers_as_for_one_patient(varied):
    orders, patients = varied
    pks = [patient.pk for patient in patients]
    sessions = live_sessions_of(pks)
    assert sessions == {pk: live_sessions(pk) for pk in pks}
    assert [len(sessions[pk]) for pk in pks] == [2, 1, 0, 0]
    rows = calendar_rows_of(pks)
    assert rows == {pk: calendar_rows_of([pk])[pk] for pk in pks}
    assert [sorted(rows[pk][1]) for pk in pks] == [
        sorted([orders[0].pk, orders[1].pk]),
        [orders[2].pk],
        [orders[3].pk],
        [],
    ]


def test_each_coverage_reader_in_bulk_answers_as_for_one_order(varied):
    orders, _patients = varied
    approvals = approvals_for_orders(orders)
    assert {o.pk: approvals.get(o.lineage_id or o.pk, []) for o in orders} == {
        o.pk: approvals_for_order(o) for o in orders
    }
    pairs = [(order, None) for order in orders]
    assert coverage_of_planned(pairs) == {o.pk: order_coverage(o) for o in orders}
    covered = orders_are_covered(pairs)
    assert covered == {o.pk: order_is_covered(o) for o in orders}
    assert list(covered.values()) == [True, False, False, False]


# --- a page warmed in bulk plans as one by one ---------------------------------------------------


def test_plans_made_on_a_page_s_facts_read_in_bulk_are_the_plans_asked_one_by_one(varied):
    orders, _patients = varied
    one_by_one = [order_plan(order, as_of=TODAY) for order in _fresh(orders)]
    warmed: list[Any] = []

    def page() -> None:
        rows = _fresh(orders)
        read_plan_facts(rows, as_of=TODAY)
        warmed.extend(order_plan(row, as_of=TODAY) for row in rows)

    _in_a_read("get", page)
    assert warmed == one_by_one
    codes = [{finding.code for finding in plan.findings} for plan in one_by_one]
    assert "NO_AUTHORIZATION" not in codes[0]
    assert "NO_AUTHORIZATION" in codes[1] and "NO_AUTHORIZATION" in codes[2]
    assert "RENAL_RISK" in codes[2]  # eGFR 50
    assert one_by_one[2].new_overrides == []  # answered by the order's override
    assert "HEMOLYSIS_SUSPECTED" not in codes[0]  # the fall after the cycle was reviewed
    assert one_by_one[3].order.status == OrderStatus.DRAFT


def test_a_page_warmed_in_bulk_reads_no_fact_again_one_by_one(varied, monkeypatch):
    orders, _patients = varied
    signed = orders[:3]

    def page() -> None:
        rows = _fresh(signed)
        read_plan_facts(rows, as_of=TODAY)
        with monkeypatch.context() as patched:
            patched.setattr("orders.dose_plans.engine_inputs.patients_facts", _refuse)
            patched.setattr("orders.dose_plans.plan_accessor.calendar_rows_of", _refuse)
            patched.setattr("orders.dose_plans.plan_accessor.coverage_judge", _refuse)
            patched.setattr("orders.dose_plans.engine_inputs.product_facts", _refuse)
            for row in rows:
                order_plan(row, as_of=TODAY)

    _in_a_read("get", page)


@pytest.mark.parametrize("method", ["post", None])
def test_a_change_or_no_request_reads_nothing_ahead(varied, monkeypatch, method):
    orders, _patients = varied
    monkeypatch.setattr("orders.dose_plans.plan_facts.patients_facts", _refuse)
    monkeypatch.setattr("orders.dose_plans.plan_facts.calendar_rows_of", _refuse)
    monkeypatch.setattr("orders.dose_plans.plan_facts.coverage_judge", _refuse)
    monkeypatch.setattr("orders.dose_plans.plan_facts.product_facts", _refuse)
    if method is None:
        read_plan_facts(orders, as_of=TODAY)
    else:
        _in_a_read(method, lambda: read_plan_facts(orders, as_of=TODAY))


def test_an_unsaved_order_is_left_to_be_planned_on_its_own(varied, monkeypatch):
    orders, _patients = varied
    monkeypatch.setattr("orders.dose_plans.plan_facts.patients_facts", _refuse)
    unsaved = Order(**{**order_values(orders[0].patient), "created_by": orders[0].created_by})
    _in_a_read("get", lambda: read_plan_facts([unsaved], as_of=TODAY))


# --- the products of a page ----------------------------------------------------------------------


def _products_page(clinician: User) -> list[Order]:
    """Drafts of three products: the formulary's, one priced twice (the price in effect today
    is the later one of those dated on or before it, not the one dated tomorrow) with its own
    vial sizes and steps, and one with no price at all."""
    patient = worked_example_patient(clinician)
    repriced = ProductFactory.create(vial_sizes=["2.5", "20"], steps=[("0.5", 30), ("3", None)])
    ProductPrice.objects.create(
        product=repriced, price_per_g=Decimal("95"), effective_from=TODAY - timedelta(days=3)
    )
    ProductPrice.objects.create(
        product=repriced, price_per_g=Decimal("120"), effective_from=TODAY + timedelta(days=1)
    )
    unpriced = ProductFactory.create(price=False)
    return [
        order_create(by=clinician, **order_values(patient)),
        order_create(by=clinician, **order_values(patient, product=repriced)),
        order_create(by=clinician, **order_values(patient, product=unpriced)),
    ]


def test_the_products_of_a_page_are_read_at_once_and_plan_as_one_by_one(
    clinician, monkeypatch, django_assert_max_num_queries
):
    orders = _products_page(clinician)
    priced = orders[:2]
    one_by_one = [order_plan(order, as_of=TODAY) for order in _fresh(priced)]
    assert one_by_one[0].plan != one_by_one[1].plan
    alone = {row.product_id: product_facts(row.product, on=TODAY) for row in _fresh(priced)}
    assert alone[priced[1].product_id].price_per_g == Decimal("95")  # the price in effect
    warmed: list[Any] = []

    def page() -> None:
        rows = _fresh(orders)
        with django_assert_max_num_queries(3):
            kept = plan_facts._product_facts(rows, TODAY)
        # Each as read alone; the product without a price is left out.
        assert kept == {product_facts_key(pk, TODAY): facts for pk, facts in alone.items()}
        read_plan_facts(rows, as_of=TODAY)
        with monkeypatch.context() as patched:
            patched.setattr("orders.dose_plans.engine_inputs.product_facts", _refuse)
            warmed.extend(order_plan(row, as_of=TODAY) for row in rows[:2])
        with pytest.raises(FormularyError):  # refused as when asked alone
            order_plan(rows[2], as_of=TODAY)

    _in_a_read("get", page)
    assert warmed == one_by_one


def test_a_page_s_products_are_costed_on_its_day_past_a_product_without_a_price(clinician):
    """The products of a page are costed on the page's day (tomorrow: the later price), and a
    product without a price leaves out only itself, wherever it comes on the page."""
    orders = _products_page(clinician)
    tomorrow = TODAY + timedelta(days=1)
    kept = plan_facts._product_facts(_fresh([orders[2], *orders[:2]]), tomorrow)
    assert kept == {
        product_facts_key(row.product_id, tomorrow): product_facts(row.product, on=tomorrow)
        for row in _fresh(orders[:2])
    }
    repriced = kept[product_facts_key(orders[1].product_id, tomorrow)]
    assert isinstance(repriced, ProductFacts) and repriced.price_per_g == Decimal("120")
