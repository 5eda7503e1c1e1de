"""Choosing the order of a new authorization without listing every order (a real centre has
thousands): search as you type by order number, MRN or patient name, at most ``ORDER_MATCHES``
matches, as the order form chooses its patient (orders/patients/selectors.py).

The form's ``order`` field still validates the chosen id against every requestable order; only
what is rendered is bounded. With the order given (``?order=<id>``, or a form sent back with one)
the page shows that order and lists none.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from orders.models import Order, OrderStatus
from orders.patients.selectors import patients_with_text

ORDER_MATCHES = 20
ORDER_QUERY_PARAM = "order_q"
# Orders an authorization can be requested for: signed onwards, not replaced or stopped.
REQUESTABLE_ORDER_STATUSES = (
    OrderStatus.SIGNED,
    OrderStatus.VERIFIED,
    OrderStatus.ACTIVE,
)
# "IV-000042", "iv-42", "42": an order number (its first version's id).
ORDER_NUMBER = re.compile(r"^(?:iv-?)?0*(\d{1,9})$", re.IGNORECASE)


def requestable_orders() -> QuerySet[Order]:
    return Order.objects.filter(status__in=REQUESTABLE_ORDER_STATUSES).select_related("patient")


def order_label(order: Order) -> str:
    return f"{order.number} v{order.revision} · {order.patient} · {order.get_status_display()}"


def order_matches(query: str, limit: int | None = None) -> list[Order]:
    """At most ``limit`` requestable orders matching every word of ``query`` (an order number, or
    the patient's MRN or name, case-insensitive), soonest start first; none for an empty query.
    One query."""
    words = query.split()
    if not words:
        return []
    limit = ORDER_MATCHES if limit is None else limit
    orders = requestable_orders()
    for term in words[:5]:
        orders = orders.filter(_order_has_text(term))
    return list(orders.order_by("start_date", "pk")[:limit])


def _order_has_text(term: str) -> Q:
    """The order's patient's MRN or name contains ``term`` (the patients found by their indexes,
    docs/architecture.md "Text search"), or ``term`` is the order's number (its versions, by
    their first version's id). The two are read apart and joined (``union``): in one condition
    with the patients' subquery PostgreSQL would read every order to test it."""
    by_patient = Q(patient__in=patients_with_text(term))
    number = ORDER_NUMBER.match(term)
    if not number:
        return by_patient
    root = int(number.group(1))
    either = (
        Order.objects.filter(by_patient)
        .values("pk")
        .order_by()
        .union(Order.objects.filter(Q(pk=root) | Q(lineage_id=root)).values("pk").order_by())
    )
    return Q(pk__in=either)


def order_choices(orders: list[Order]) -> list[tuple[object, str]]:
    """The select's options: a prompt, then each match."""
    prompt = (
        f"Choose one of {len(orders)} match{'es' if len(orders) != 1 else ''}"
        if orders
        else "Search by order number, MRN or name first"
    )
    return [("", prompt), *((order.pk, order_label(order)) for order in orders)]
