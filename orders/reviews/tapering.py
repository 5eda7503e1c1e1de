"""Tapering an IVIg course (docs/clinical-rules.md 10.3): after two consecutive reviews in
complete response, ``taper_proposals`` offers a longer interval or a lower dose;
``taper_accept`` makes the chosen one a new version of the order through ``order_update``,
signed and verified as usual (docs/clinical-rules.md 4).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ivig.accounts.models import User
from orders.course_versions import next_version_start, order_in_force
from orders.errors import OrderError
from orders.models import Order
from orders.services import order_update

from .models import Response
from .services import lineage_reviews

# docs/clinical-rules.md 10.3: the interval steps of a taper, in days (4, 6, 8 weeks).
TAPER_INTERVAL_STEPS_DAYS = (28, 42, 56)


# docs/clinical-rules.md 10.3: a lower dose is 75 % of the current one, to 0.05 g/kg (or
# 10 mg/kg a day), never below these floors.
TAPER_DOSE_FRACTION = Decimal("0.75")


TAPER_TOTAL_STEP_G_PER_KG = Decimal("0.05")


TAPER_DAILY_STEP_MG_PER_KG = Decimal(10)


TAPER_TOTAL_FLOOR_G_PER_KG = Decimal("0.5")


TAPER_DAILY_FLOOR_MG_PER_KG = Decimal(100)


# What a taper may change on the order.
TAPER_FIELDS = frozenset(
    {"cycle_interval_days", "total_dose_g_per_kg", "daily_dose_mg_per_kg", "start_date", "cycles"}
)


@dataclass(frozen=True)
class TaperProposal:
    kind: str  # "interval" or "dose"
    label: str
    changes: dict[str, Any]


def _round_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def taper_proposals(order: Order, current: Order | None = None) -> list[TaperProposal]:
    """docs/clinical-rules.md 10.3: after the course's two latest reviews both found a complete
    response, propose the next longer interval (4 → 6 → 8 weeks) and a lower dose (75 %); none
    once the interval is 8 weeks and the dose at its floor (``current``: the order in force,
    when the caller has read it)."""
    latest_two = list(lineage_reviews(order)[:2])
    if len(latest_two) < 2 or any(r.response != Response.COMPLETE for r in latest_two):
        return []
    if current is None:
        current = order_in_force(order)
    proposals = []
    longer = next((d for d in TAPER_INTERVAL_STEPS_DAYS if d > current.cycle_interval_days), None)
    if longer is not None:
        start, cycles = next_version_start(current, longer, timezone.localdate())
        proposals.append(
            TaperProposal(
                "interval",
                f"Every {longer // 7} weeks ({longer} days) instead of every "
                f"{current.cycle_interval_days} days, from {start:%Y-%m-%d}",
                {"cycle_interval_days": longer, "start_date": start, "cycles": cycles},
            )
        )
    start, cycles = next_version_start(current, current.cycle_interval_days, timezone.localdate())
    if current.total_dose_g_per_kg is not None:
        lower = _round_to(
            current.total_dose_g_per_kg * TAPER_DOSE_FRACTION, TAPER_TOTAL_STEP_G_PER_KG
        )
        if lower >= TAPER_TOTAL_FLOOR_G_PER_KG and lower < current.total_dose_g_per_kg:
            proposals.append(
                TaperProposal(
                    "dose",
                    f"{lower.normalize():f} g/kg per cycle instead of "
                    f"{current.total_dose_g_per_kg.normalize():f} g/kg, from {start:%Y-%m-%d}",
                    {"total_dose_g_per_kg": lower, "start_date": start, "cycles": cycles},
                )
            )
    elif current.daily_dose_mg_per_kg is not None:
        lower = _round_to(
            current.daily_dose_mg_per_kg * TAPER_DOSE_FRACTION, TAPER_DAILY_STEP_MG_PER_KG
        )
        if lower >= TAPER_DAILY_FLOOR_MG_PER_KG and lower < current.daily_dose_mg_per_kg:
            proposals.append(
                TaperProposal(
                    "dose",
                    f"{lower.normalize():f} mg/kg a day instead of "
                    f"{current.daily_dose_mg_per_kg.normalize():f} mg/kg, from {start:%Y-%m-%d}",
                    {"daily_dose_mg_per_kg": lower, "start_date": start, "cycles": cycles},
                )
            )
    return proposals


@transaction.atomic
def taper_accept(order: Order, *, by: User, kind: str, version: int) -> Order:
    """Accept a taper proposal (docs/clinical-rules.md 10.3): the order in force gets a new
    version through ``order_update`` (a draft to sign and verify again, docs/clinical-rules.md
    4); ``version`` is the version of the order in force the clinician saw. Refuses when no
    such proposal stands (the reviews changed since the page was opened)."""
    current = order_in_force(order)
    proposal = next((p for p in taper_proposals(current) if p.kind == kind), None)
    if proposal is None:
        raise OrderError(
            OrderError.WRONG_STATE,
            "No taper is proposed for this course any more: reload the review page.",
        )
    assert set(proposal.changes) <= TAPER_FIELDS
    note = f"Taper after two reviews in complete response: {proposal.label}."
    notes = f"{current.notes}\n{note}".strip()
    return order_update(current, by=by, version=version, notes=notes, **proposal.changes)
