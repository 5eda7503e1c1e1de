"""Who may read and change the schedule and the administration record (docs/clinical-rules.md
1 and 6): one function per permission on the role table, asked by pages, the API and templates
alike. Permissions that also read a session's state sit with the package that owns it
(``infusions.administration.policies``)."""

from typing import Any

from ivig.accounts.permissions import holds


def can_read_schedule(user: Any) -> bool:
    """The schedule, sessions with their plans and records, chairs, calendar feeds: every role."""
    return holds(user, "infusions.view_infusionsession")


def can_look_up_lots(user: Any) -> bool:
    """The lot recall look-up: who received a lot, its CSV, notifying the patients' clinicians
    (pharmacists, who keep the formulary; issue 23)."""
    return holds(user, "formulary.change_product")


def can_book(user: Any) -> bool:
    """Book, move, cancel and confirm sessions (nurses)."""
    return holds(user, "infusions.change_infusionsession")


def can_record(user: Any) -> bool:
    """Record the administration: premedication, start, rates, vital signs, events (nurses)."""
    return holds(user, "infusions.add_administrationentry")


def can_edit_chairs(user: Any) -> bool:
    """Add chairs and set their opening hours (nurses)."""
    return holds(user, "infusions.change_chair")


def can_plan_reaction(user: Any) -> bool:
    """Record the plan for an infusion reaction that later sessions follow (clinicians,
    docs/clinical-rules.md 3.8.3)."""
    return holds(user, "infusions.add_reactionplan")
