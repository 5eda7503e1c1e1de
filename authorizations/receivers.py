"""What the authorizations app does when the orders app announces an event (orders/signals.py)."""

from typing import Any

from ivig.accounts.models import User
from orders.models import Order

from .coverage_rules import COVERING_STATUSES
from .models import Authorization
from .services import authorization_open_retrospective
from .stored_coverage import store_lineage_coverage, store_order_coverage


def open_retrospective_authorization(sender: Any, *, order: Order, by: User, **_: Any) -> None:
    """docs/clinical-rules.md 3.10: an urgent order was verified; its authorization is opened at
    once as a retrospective request due."""
    authorization_open_retrospective(by=by, order=order)


# --- stored coverage (authorizations/stored_coverage.py) -----------------------------------

COVERAGE_FIELDS = frozenset({"plan_at_signing", "lineage"})


def store_coverage_of_saved_order(sender: Any, *, instance: Order, **kwargs: Any) -> None:
    """An order's frozen plan or lineage may have changed: its coverage rows again. A save that
    did not load the plan, or names only other fields, changes neither."""
    update_fields = kwargs.get("update_fields")
    if "plan_at_signing" in instance.get_deferred_fields() or (
        update_fields is not None and not COVERAGE_FIELDS & set(update_fields)
    ):
        return
    if kwargs.get("created") and instance.plan_at_signing is None:
        return  # a new draft: nothing stored, nothing to remove
    store_order_coverage([instance.pk])


def store_coverage_of_saved_authorization(
    sender: Any, *, instance: Authorization, **_: Any
) -> None:
    """An approval (or an expired one) changed: every order of its lineage again. Other
    statuses cover nothing, and an authorization never leaves the covering statuses."""
    if instance.status in COVERING_STATUSES:
        store_lineage_coverage([lineage_of_authorization(instance)])


def lineage_of_authorization(authorization: Authorization) -> int:
    lineage = (
        Order.objects.filter(pk=authorization.order_id).values_list("lineage_id", flat=True).get()
    )
    return lineage or authorization.order_id
