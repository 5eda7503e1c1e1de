"""The session page's premedication given, line by line (docs/clinical-rules.md 3.5, 6): each
line of the session's order, and each a reaction plan it follows adds, with what was recorded
for it, and for those who record, a form
per line not recorded yet (the refused one in its place, with its messages)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from infusions.administration.forms import PremedicationGivenForm
from infusions.administration.premedication import LineGiven, premedication_given_rows
from infusions.booking.models import InfusionSession, SessionStatus

register = template.Library()

CLOSED = (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.MISSED)


@dataclass(frozen=True)
class GivenShown:
    rows: list[tuple[LineGiven, PremedicationGivenForm | None]]
    refused: list[str]  # a refusal about no line shown (a line of another order)


@register.simple_tag
def premedication_given_of(
    session: InfusionSession, can_record: bool, bound: PremedicationGivenForm | None = None
) -> GivenShown:
    rows = []
    matched = False
    for item in premedication_given_rows(session):
        form = None
        field, key = (
            ("plan_line", f"plan{item.line.pk}") if item.from_plan else ("line", item.line.pk)
        )
        if can_record and item.record is None and session.status not in CLOSED:
            if bound is not None and str(bound.data.get(field)) == str(item.line.pk):
                form, matched = bound, True
            else:
                form = PremedicationGivenForm(
                    initial={field: item.line.pk}, auto_id=f"id_premed{key}_%s"
                )
        rows.append((item, form))
    refused = (
        [str(message) for messages in bound.errors.values() for message in messages]
        if bound is not None and not matched
        else []
    )
    return GivenShown(rows, refused)
