"""Who may do what with orders (docs/clinical-rules.md 1 and 4): one function per permission,
asked by pages, the API and templates alike. The feature packages' own policies (patients, labs,
reviews) are re-exported here for the pages and apps that ask them beside the orders'.

Each function checks the role table (``ROLE_PERMISSIONS``, via ``holds``); given an order, it also
checks that the order's status allows the step, which is what decides whether a button is shown.
The API asks without the order: a step on an order in the wrong status is then the service's
409 (``wrong_state``), not a 403. Rules about the acting person beyond the role (the signer may
not verify their own order) are the services' and give a clear refusal.
"""

from typing import Any

from ivig.accounts.permissions import holds

from .labs.policies import can_record_labs
from .models import Order, OrderStatus
from .patients.policies import can_change_patients, can_read_patients
from .reviews.policies import can_record_reviews
from .services import COMPLETABLE, DISCONTINUABLE, EDITABLE, pending_change

# The feature packages' policies, asked here too by the order pages and the other apps.
__all__ = [
    "can_change_patients",
    "can_complete",
    "can_create_order",
    "can_discontinue",
    "can_edit",
    "can_read_orders",
    "can_read_patients",
    "can_record_labs",
    "can_record_reviews",
    "can_reject",
    "can_sign",
    "can_verify",
    "order_permissions",
]


def _in(order: Order | None, statuses: frozenset[str] | tuple[str, ...]) -> bool:
    return order is None or order.status in statuses


def can_read_orders(user: Any) -> bool:
    return holds(user, "orders.view_order")


def can_create_order(user: Any) -> bool:
    return holds(user, "orders.add_order")


def can_edit(user: Any, order: Order | None = None) -> bool:
    """Change a draft, or make a new version of a signed, verified or active order that no
    draft change awaits signing for (one at a time: change that draft instead)."""
    return (
        holds(user, "orders.change_order")
        and _in(order, EDITABLE)
        and (order is None or pending_change(order) is None)
    )


def can_sign(user: Any, order: Order | None = None) -> bool:
    return holds(user, "orders.sign_order") and _in(order, (OrderStatus.DRAFT,))


def can_verify(user: Any, order: Order | None = None) -> bool:
    return holds(user, "orders.verify_order") and _in(order, (OrderStatus.SIGNED,))


def can_reject(user: Any, order: Order | None = None) -> bool:
    return holds(user, "orders.verify_order") and _in(order, (OrderStatus.SIGNED,))


def can_discontinue(user: Any, order: Order | None = None) -> bool:
    return holds(user, "orders.discontinue_order") and _in(order, DISCONTINUABLE)


def can_complete(user: Any, order: Order | None = None) -> bool:
    return holds(user, "orders.discontinue_order") and _in(order, COMPLETABLE)


def order_permissions(user: Any, order: Order) -> dict[str, bool]:
    """What ``user`` may do with ``order`` now, for the order page's buttons."""
    return {
        "edit": can_edit(user, order),
        "sign": can_sign(user, order),
        "verify": can_verify(user, order),
        "reject": can_reject(user, order),
        "discontinue": can_discontinue(user, order),
        "complete": can_complete(user, order),
    }
