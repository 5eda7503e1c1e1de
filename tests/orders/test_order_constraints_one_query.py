"""An order's check constraints are validated in one query when they all hold, with Django's own
errors when one fails (ivig/constraints.py, issue 21: the edit page's preview asked eight)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _check_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if '"_check"' in query["sql"]]


def _errors(validate, order: Order, exclude: set[str] | None = None) -> dict[str, list[str]]:
    try:
        validate(order, exclude=exclude)
    except ValidationError as error:
        return error.message_dict
    return {}


def test_an_order_whose_checks_hold_is_checked_in_one_query():
    order = OrderFactory.create()
    with CaptureQueriesContext(connection) as queries:
        order.validate_constraints()
    assert len(_check_queries(queries)) == 1
    with CaptureQueriesContext(connection) as queries:
        models.Model.validate_constraints(order)  # Django's: one query per check
    assert len(_check_queries(queries)) > 5


@pytest.mark.parametrize(
    ("changes", "exclude", "fails"),
    [
        ({}, None, False),
        ({"cycles": 0}, None, True),
        ({"cycles": 0, "days_per_cycle": 9, "target_rate_ml_per_h": 0}, None, True),
        ({"total_dose_g_per_kg": None, "daily_dose_mg_per_kg": None}, None, True),
        ({"cycles": 0, "days_per_cycle": 9}, {"cycles"}, True),
        # a check naming a field left out of validation is not asked (as Django)
        ({"urgent": True, "urgent_reason": ""}, {"urgent_reason"}, False),
    ],
)
def test_the_errors_are_django_s(changes, exclude, fails):
    order = OrderFactory.create()
    for name, value in changes.items():
        setattr(order, name, value)
    ours = _errors(Order.validate_constraints, order, exclude)
    assert ours == _errors(models.Model.validate_constraints, order, exclude)
    assert bool(ours) == fails
