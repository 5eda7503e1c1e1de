"""Who may record response reviews (docs/clinical-rules.md 10): one function per permission."""

from typing import Any

from ivig.accounts.permissions import holds


def can_record_reviews(user: Any) -> bool:
    """Record a response review and accept a taper (clinicians)."""
    return holds(user, "orders.add_responsereview")
