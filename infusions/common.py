"""What the infusions services share: local clock times and saving a row with the acting user
and a reason in its history (STYLE: every change is kept, with who made it)."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from ivig.accounts.models import User

# Clocks on the ward and the server differ a little; beyond this a time is in the future.
CLOCK_SKEW = timedelta(minutes=1)


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def at(day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def hhmm(moment: datetime) -> str:
    return f"{local(moment):%H:%M}"


# django-simple-history keeps a change reason in 100 characters (PostgreSQL refuses more).
HISTORY_REASON_MAX_CHARS = 100


def save_as(instance: Any, by: User, reason: str) -> None:
    """Save ``instance`` with ``by`` and ``reason`` in its history row. A longer reason (a start
    far from its booking with the nurse's words) is cut with an ellipsis: the whole text stays on
    the administration entry it came from."""
    if len(reason) > HISTORY_REASON_MAX_CHARS:
        reason = reason[: HISTORY_REASON_MAX_CHARS - 1] + "…"
    instance._history_user = by
    instance._change_reason = reason
    instance.save()
