"""Who may record laboratory results (docs/clinical-rules.md 3.8.2): one function per
permission."""

from typing import Any

from ivig.accounts.permissions import holds


def can_record_labs(user: Any) -> bool:
    """Record or import laboratory results (clinicians and nurses)."""
    return holds(user, "orders.add_labresult")
