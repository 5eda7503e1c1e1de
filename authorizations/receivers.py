"""What the authorizations app does when the orders app announces an event (orders/signals.py)."""

from typing import Any

from ivig.accounts.models import User
from orders.models import Order

from .services import authorization_open_retrospective


def open_retrospective_authorization(sender: Any, *, order: Order, by: User, **_: Any) -> None:
    """docs/clinical-rules.md 3.10: an urgent order was verified; its authorization is opened at
    once as a retrospective request due."""
    authorization_open_retrospective(by=by, order=order)
