"""Premedication given, line by line (docs/clinical-rules.md 3.5, 6): on a session, the nurse
records each premedication line of the session's order as given (the time; by whom) or not
given (why). Once per session and line, never changed; every record in its history with the
nurse."""

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
from ivig.accounts.models import User
from orders.models import PremedicationLine
from orders.premedication.services import line_words


@transaction.atomic
def premedication_given_record(
    session: InfusionSession,
    *,
    line_id: int,
    by: User,
    given: bool,
    given_at: datetime | None = None,
    not_given_reason: str = "",
) -> PremedicationGiven:
    """Record line ``line_id`` of the session's order as given at ``given_at`` (default now) or
    not given with ``not_given_reason``. Refused: a line not of this session's order, a line
    recorded already on this session, a session no longer recording, a time in the future or
    before the session's day, a "not given" without its reason."""
    current = locked_session(session, None)
    line = (
        PremedicationLine.objects.select_related("drug")
        .filter(pk=line_id, order_id=current.order_id)
        .first()
    )
    if line is None:
        raise InfusionError(
            InfusionError.INVALID,
            "That premedication line is not on this session's order.",
            field="line",
        )
    reason = not_given_reason.strip()
    at = (given_at or timezone.now()) if given else None
    check_recording_open(current, at or timezone.now(), day_checked=given, field="given_at")
    if not given and not reason:
        raise InfusionError(
            InfusionError.INVALID, "Say why it was not given.", field="not_given_reason"
        )
    if current.premedication_given.filter(line=line).exists():
        raise InfusionError(
            InfusionError.INVALID,
            f"{line_words(line)} is recorded on this session already: add a note to correct it.",
            field="line",
        )
    row = PremedicationGiven(
        session=current,
        line=line,
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
    """A line of the session's order and what was recorded for it (None: not yet)."""

    line: PremedicationLine
    record: PremedicationGiven | None


def premedication_given_rows(session: InfusionSession) -> list[LineGiven]:
    """Every premedication line of the session's order, in its order, with its record on this
    session (two queries)."""
    records = {
        record.line_id: record for record in session.premedication_given.select_related("given_by")
    }
    lines = PremedicationLine.objects.filter(order_id=session.order_id).select_related("drug")
    return [LineGiven(line, records.get(line.pk)) for line in lines]
