"""Premedication given, line by line (docs/clinical-rules.md 3.5, 6): on a session, the nurse
records each premedication line of the session's order, and each line the reaction plans the
session follows add (``reactions.selectors.added_lines_for``), as given (the time; by whom) or
not given (why). Once per session and line, never changed; every record in its history with
the nurse. The record's free-text "Premedication given" entry is offered only for orders
written before the lines (``free_text_premedication_offered``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from infusions.administration.models import PremedicationGiven
from infusions.administration.services import check_recording_open
from infusions.booking.models import InfusionSession
from infusions.booking.services import locked_session
from infusions.common import save_as
from infusions.errors import InfusionError
from infusions.reactions.models import ReactionPlanLine
from infusions.reactions.selectors import added_lines_for
from ivig.accounts.models import User
from orders.models import PremedicationLine
from orders.premedication.services import line_words


@transaction.atomic
def premedication_given_record(
    session: InfusionSession,
    *,
    line_id: int | None = None,
    plan_line_id: int | None = None,
    by: User,
    given: bool,
    given_at: datetime | None = None,
    not_given_reason: str = "",
) -> PremedicationGiven:
    """Record line ``line_id`` of the session's order, or line ``plan_line_id`` a reaction plan
    the session follows adds, as given at ``given_at`` (default now) or not given with
    ``not_given_reason``. Refused: a line not of this session's order or of a plan it follows
    (a plan's line of a version since revised included), a line recorded already on this
    session, a session no longer recording, a time in the future or before the session's day,
    a "not given" without its reason."""
    current = locked_session(session, None)
    line: PremedicationLine | ReactionPlanLine | None
    if plan_line_id is not None:
        line = next((row for row in added_lines_for(current) if row.pk == plan_line_id), None)
        field = "plan_line"
    else:
        line = (
            PremedicationLine.objects.select_related("drug")
            .filter(pk=line_id or 0, order_id=current.order_id)
            .first()
        )
        field = "line"
    if line is None:
        raise InfusionError(
            InfusionError.INVALID,
            "That premedication line is not on this session's order"
            + (" or a reaction plan it follows." if field == "plan_line" else "."),
            field=field,
        )
    reason = not_given_reason.strip()
    at = (given_at or timezone.now()) if given else None
    check_recording_open(current, at or timezone.now(), day_checked=given, field="given_at")
    if not given and not reason:
        raise InfusionError(
            InfusionError.INVALID, "Say why it was not given.", field="not_given_reason"
        )
    if current.premedication_given.filter(**{field: line}).exists():
        raise InfusionError(
            InfusionError.INVALID,
            f"{line_words(line)} is recorded on this session already: add a note to correct it.",
            field=field,
        )
    row = PremedicationGiven(
        session=current,
        line=line if isinstance(line, PremedicationLine) else None,
        plan_line=line if isinstance(line, ReactionPlanLine) else None,
        given_at=at,
        not_given_reason="" if given else reason,
        given_by=by,
    )
    row.full_clean()
    save_as(
        row,
        by,
        f"Premedication given: {line_words(line)}"
        if given
        else f"Premedication not given: {line_words(line)}: {reason}",
    )
    return row


@dataclass(frozen=True)
class LineGiven:
    """A line of the session's order, or one a reaction plan it follows adds, and what was
    recorded for it (None: not yet)."""

    line: PremedicationLine | ReactionPlanLine
    record: PremedicationGiven | None

    @property
    def from_plan(self) -> bool:
        return isinstance(self.line, ReactionPlanLine)


def premedication_given_rows(session: InfusionSession) -> list[LineGiven]:
    """Every premedication line of the session's order, in its order, then every line the
    reaction plans it follows add, each with its record on this session; a plan's line recorded
    here before the plan was revised stays shown with its record (three queries, two with the
    order's lines prefetched: ``order_lines``)."""
    records = list(session.premedication_given.select_related("given_by", "plan_line__drug"))
    by_line = {record.line_id: record for record in records if record.line_id is not None}
    by_plan_line = {record.plan_line_id: record for record in records if record.plan_line_id}
    rows = [LineGiven(line, by_line.get(line.pk)) for line in order_lines(session)]
    added = added_lines_for(session)
    rows += [LineGiven(line, by_plan_line.get(line.pk)) for line in added]
    shown = {line.pk for line in added}
    rows += [
        LineGiven(record.plan_line, record)
        for record in records
        if record.plan_line is not None and record.plan_line_id not in shown
    ]
    return rows


def order_lines(session: InfusionSession) -> list[PremedicationLine]:
    """The premedication lines of the session's order with their drugs, in their order: the
    ones prefetched on ``session.order`` (the session page reads them once for the plan, the
    order's premedication and this record), else one query."""
    order = session.order
    if "premedication_lines" in getattr(order, "_prefetched_objects_cache", {}):
        return list(order.premedication_lines.all())
    return list(PremedicationLine.objects.filter(order_id=session.order_id).select_related("drug"))


def free_text_premedication_offered(session: InfusionSession) -> bool:
    """Whether the record offers its free-text "Premedication given" entry: only for an order
    written before the lines (none of its own); the lines are recorded one by one."""
    if "premedication_lines" in getattr(session.order, "_prefetched_objects_cache", {}):
        return not session.order.premedication_lines.all()
    return not PremedicationLine.objects.filter(order_id=session.order_id).exists()
