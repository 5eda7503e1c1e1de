"""Who may plan (docs/planner.md, docs/clinical-rules.md 1): one function per permission on the
role table, asked by pages, the API and templates alike."""

from typing import Any

from ivig.accounts.permissions import holds


def can_see_nurse_load(user: Any) -> bool:
    """The nurses on shift and their load per hour: every role that reads the schedule."""
    return holds(user, "infusions.view_infusionsession")


def can_plan(user: Any) -> bool:
    """Ask for a suggested plan and accept its moves: who books and moves sessions (nurses)."""
    return holds(user, "infusions.change_infusionsession")


def can_keep_staffing(user: Any) -> bool:
    """Record nurses' shifts and the unit's ratios: the nurse in charge keeps the unit's set-up,
    as chairs and their opening hours (nurses)."""
    return holds(user, "infusions.change_chair")


def can_keep_patient_times(user: Any) -> bool:
    """Keep a patient's time window and preferred chair and time for planning: who books and
    moves sessions (nurses)."""
    return holds(user, "infusions.change_infusionsession")
