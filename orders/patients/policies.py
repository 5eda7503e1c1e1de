"""Who may read and change patients (docs/clinical-rules.md 1): one function per permission,
asked by pages, the API and templates alike."""

from typing import Any

from ivig.accounts.permissions import holds


def can_read_patients(user: Any) -> bool:
    return holds(user, "orders.view_patient")


def can_change_patients(user: Any) -> bool:
    """Register patients, change their record, record weights (clinicians)."""
    return holds(user, "orders.change_patient")
