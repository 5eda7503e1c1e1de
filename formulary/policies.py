"""Who may read and change the formulary (docs/clinical-rules.md 1 and 5): one function per
permission on the role table, asked by pages, the API and templates alike."""

from typing import Any

from ivig.accounts.permissions import holds


def can_read_formulary(user: Any) -> bool:
    """Products, vial sizes, prices, label rates and the dosing policy: every role reads them."""
    return holds(user, "formulary.view_product")


def can_change_products(user: Any) -> bool:
    """Add, edit, deactivate and reactivate products and set their prices (pharmacists)."""
    return holds(user, "formulary.change_product")


def can_change_policy(user: Any) -> bool:
    """Change the dosing policy (pharmacists)."""
    return holds(user, "formulary.change_dosingpolicy")


def can_change_premedication_catalogue(user: Any) -> bool:
    """Add, edit, deactivate and reactivate the premedication catalogue's drugs and their default
    doses (pharmacists; docs/clinical-rules.md 3.5)."""
    return holds(user, "formulary.change_premedicationdrug")
