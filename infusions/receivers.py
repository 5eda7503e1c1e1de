"""What the infusions app does when an order below it announces a change."""

from typing import Any

from ivig.accounts.models import User
from orders.models import Order

from .booking import cancel_future_sessions


def cancel_sessions_of_discontinued_order(
    sender: Any, *, order: Order, by: User, reason: str, **kwargs: Any
) -> None:
    """docs/clinical-rules.md 4: discontinuing an order cancels its future sessions."""
    cancel_future_sessions(order, by=by, reason=reason)
