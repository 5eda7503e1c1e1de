"""Who may do what with patients and orders (docs/clinical-rules.md 1 and 4): one function per
permission, asked by pages, the API and templates alike.

Each function checks the role table (``ROLE_PERMISSIONS``, via ``holds``); given an order, it also
checks that the order's status allows the step, which is what decides whether a button is shown.
The API asks without the order: a step on an order in the wrong status is then the service's
409 (``wrong_state``), not a 403. Rules about the acting person beyond the role (the signer may
not verify their own order) are the services' and give a clear refusal.
"""

from typing import Any

from ivig.accounts.permissions import holds

from .models import Order, OrderStatus
from .services import COMPLETABLE, DISCONTINUABLE, EDITABLE, pending_change


def _in(order: Order | None, statuses: frozenset[str] | tuple[str, ...]) -> bool:
    return order is None or order.status in statuses


def can_read_patients(user: Any) -> bool:
    return holds(user, "orders.view_patient")


def can_change_patients(user: Any) -> bool:
    """Register patients, change their record, record weights (clinicians)."""
    return holds(user, "orders.change_patient")


def can_record_labs(user: Any) -> bool:
    """Record or import laboratory results (clinicians and nurses)."""
    return holds(user, "orders.add_labresult")


def can_record_reviews(user: Any) -> bool:
    """Record a response review and accept a taper (clinicians)."""
    return holds(user, "orders.add_responsereview")


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
