"""Who may read the reports (docs/clinical-rules.md 10.5): one function per permission, asked by
the pages and the navigation alike, on the role table (``holds``)."""

from typing import Any

from ivig.accounts.permissions import holds


def can_read_stewardship(user: Any) -> bool:
    """The stewardship report and its CSV (pharmacists)."""
    return holds(user, "reports.view_stewardship")
