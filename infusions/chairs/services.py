"""Chairs and their opening hours (docs/clinical-rules.md 6): one transaction per call, every
change kept in the history with the acting user, refusals raised as ``InfusionError``."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from django.db import transaction

from infusions.chairs.models import Chair, ChairOpeningHours
from infusions.common import save_as
from infusions.errors import InfusionError
from ivig.accounts.models import User
from ivig.validators import CONTROL_MESSAGE, has_control_characters


@dataclass(frozen=True)
class Hours:
    weekday: int
    opens_at: time
    closes_at: time


@transaction.atomic
def chair_save(
    chair: Chair | None,
    *,
    by: User,
    name: str,
    location: str = "",
    active: bool = True,
    opening_hours: Iterable[Hours] | None = None,
) -> Chair:
    """Create or change a chair; ``opening_hours``, when given, replace the chair's hours."""
    for field, text in (("name", name), ("location", location)):
        if has_control_characters(text.strip()):
            raise InfusionError(InfusionError.INVALID, CONTROL_MESSAGE, field=field)
    name = name.strip()
    if not name:
        raise InfusionError(InfusionError.INVALID, "A chair needs a name.", field="name")
    namesakes = Chair.objects.filter(name=name)
    if chair is not None:
        namesakes = namesakes.exclude(pk=chair.pk)
    if namesakes.exists():
        raise InfusionError(
            InfusionError.INVALID, f"A chair named {name} already exists.", field="name"
        )
    chair = chair or Chair()
    chair.name, chair.location, chair.active = name, location.strip(), active
    save_as(chair, by, "Chair saved")
    if opening_hours is not None:
        hours = list(opening_hours)
        for row in hours:
            if not 0 <= row.weekday <= 6 or row.closes_at <= row.opens_at:
                raise InfusionError(
                    InfusionError.INVALID,
                    "Each opening has a weekday (0 Monday to 6 Sunday) and closes after it opens.",
                    field="opening_hours",
                )
        for old in chair.opening_hours.all():
            old._history_user = by  # type: ignore[attr-defined]
            old.delete()
        for row in hours:
            save_as(
                ChairOpeningHours(
                    chair=chair, weekday=row.weekday, opens_at=row.opens_at, closes_at=row.closes_at
                ),
                by,
                "Opening hours set",
            )
    return chair
