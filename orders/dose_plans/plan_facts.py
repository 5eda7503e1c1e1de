"""The facts of a page of orders' plans, read in bulk (issue 21).

A page that plans many orders in one request that only reads (the FHIR ``MedicationRequest``
search, the patient page charting each order) would read each order's facts on its own: the
patient's weight, laboratory results, last cycle given and hemoglobin reviews, the patient's
calendar rows, the coverage of its signed plan, its product's vial sizes, label steps and price.
``read_plan_facts`` reads each of them for the
whole page at once, with the very readers the plan accessor asks one patient or order at a time
(each single reader is its bulk reader asked for one), and keeps the answers on the request
under the keys the plan accessor asks them by (``orders.dose_plans.per_request``). Then
``order_plan`` runs unchanged and finds them there: one truth, a constant number of queries per
page. Outside a request that only reads it does nothing (a change always reads afresh).
"""

from collections.abc import Hashable, Sequence
from datetime import date

from django.db.models import prefetch_related_objects

from formulary.engine_inputs import product_facts
from formulary.services import FormularyError
from orders.models import Order, Patient
from orders.ports import coverage_judge

from .engine_inputs import patient_facts_key, patients_facts, product_facts_key
from .per_request import keep_answers
from .plan_accessor import calendar_rows_key, calendar_rows_of, frozen_plan, version_key

__all__ = ["read_plan_facts"]


def read_plan_facts(orders: Sequence[Order], *, as_of: date) -> None:
    """Within a request that only reads, read in bulk what ``order_plan(order, as_of=as_of)``
    asks of each saved order of ``orders`` (its patient's facts and calendar rows, the coverage
    of its signed plan) and keep it for that request; elsewhere nothing."""
    saved = [order for order in orders if order.pk is not None]
    if saved:
        keep_answers(lambda: _plan_facts(saved, as_of))


def _plan_facts(orders: Sequence[Order], as_of: date) -> dict[Hashable, object]:
    patients = list({order.patient_id: order.patient for order in orders}.values())
    answers: dict[Hashable, object] = {}
    answers.update(_patient_facts(patients, as_of))
    answers.update(_calendar_rows([patient.pk for patient in patients]))
    answers.update(_coverage(orders))
    answers.update(_product_facts(orders, as_of))
    return answers


def _product_facts(orders: Sequence[Order], as_of: date) -> dict[Hashable, object]:
    """The facts of the orders' products costed on ``as_of``, their vial sizes, label steps and
    prices read for all of them at once (``product_facts`` then reads what was loaded). A
    product that cannot be costed is left out: asked again, it refuses the plan as before."""
    products = list({order.product_id: order.product for order in orders}.values())
    prefetch_related_objects(products, "vial_sizes", "label_rate_steps", "prices")
    answers: dict[Hashable, object] = {}
    for product in products:
        try:
            answers[product_facts_key(product.pk, as_of)] = product_facts(product, on=as_of)
        except FormularyError:
            continue
    return answers


def _patient_facts(patients: Sequence[Patient], as_of: date) -> dict[Hashable, object]:
    return {
        patient_facts_key(pk, as_of): facts
        for pk, facts in patients_facts(patients, as_of=as_of).items()
    }


def _calendar_rows(patient_ids: Sequence[int]) -> dict[Hashable, object]:
    return {
        calendar_rows_key(patient_id): rows
        for patient_id, rows in calendar_rows_of(patient_ids).items()
    }


def _coverage(orders: Sequence[Order]) -> dict[Hashable, object]:
    """The coverage of each order's plan frozen at signing (an order without one is judged on
    the plan being made, as ``order_plan`` does)."""
    signed = [(order, frozen_plan(order)) for order in orders]
    judged = [(order, plan) for order, plan in signed if plan is not None]
    if not judged:
        return {}
    covered = coverage_judge()(judged)
    return {version_key(order, ("covered",)): covered[order.pk] for order, _plan in judged}
