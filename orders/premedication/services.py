"""An order's premedication lines (docs/clinical-rules.md 3.5).

The order form and API still take premedication as the clinician writes it; every save of an
order (creation, edit, new version) reads that text into the version's structured lines
(``orders.premedication.parsing``), which the engine judges (PREMEDICATION_DOSE_HIGH) and the
pages show. A part that does not read as a line is shown "as written", never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from formulary.engine_inputs import premedication_drug_facts
from formulary.premedication.models import PremedicationDrug
from formulary.selectors import current_policy
from ivig.accounts.models import User
from ivig.engine import DEFAULT_PREMEDICATION_DRUGS, default_dose, format_decimal
from ivig.engine import PremedicationLine as LineFacts
from ivig.engine.premedication import is_child

from ..models import Order, Patient
from .models import PremedicationLine
from .parsing import CatalogueDrug, catalogue_index, parse_premedication


def _catalogue() -> tuple[dict[str, PremedicationDrug], dict[str, CatalogueDrug]]:
    drugs = {drug.slug: drug for drug in PremedicationDrug.objects.all()}
    index = catalogue_index(
        [CatalogueDrug(slug=d.slug, name=d.name, route=d.route) for d in drugs.values()]
    )
    return drugs, index


def premedication_lines_from_text(order: Order, by: User) -> list[PremedicationLine]:
    """Replace ``order``'s lines with those its premedication text reads as (in the caller's
    transaction), each ``premedication_lead_minutes`` (policy) before the start; audited."""
    drugs, index = _catalogue()
    parsed = parse_premedication(order.premedication, index)
    minutes_before = current_policy().premedication_lead_minutes
    for old in order.premedication_lines.all():
        old._history_user = by  # type: ignore[attr-defined]
        old.delete()
    lines = []
    for position, line in enumerate(parsed.lines, start=1):
        row = PremedicationLine(
            order=order,
            drug=drugs[line.drug_slug],
            dose=line.dose,
            dose_unit=line.dose_unit,
            route=line.route,
            minutes_before=minutes_before,
            position=position,
        )
        row._history_user = by  # type: ignore[attr-defined]
        row.full_clean()
        row.save()
        lines.append(row)
    return lines


@dataclass(frozen=True)
class PremedicationShown:
    """What the pages show: the structured lines and any part kept as written."""

    lines: list[PremedicationLine]
    as_written: tuple[str, ...]


def premedication_shown(order: Order) -> PremedicationShown:
    """The order's lines and the parts of its text that are not lines (two queries). An order
    without lines (made outside the order services) shows its whole text as written: nothing
    written is ever hidden."""
    lines = list(order.premedication_lines.select_related("drug"))
    parts = tuple(part.strip() for part in order.premedication.replace("\n", ";").split(";"))
    if not lines:
        return PremedicationShown([], tuple(part for part in parts if part))
    _, index = _catalogue()
    return PremedicationShown(lines, parse_premedication(order.premedication, index).as_written)


def premedication_line_facts(order: Order) -> list[LineFacts]:
    """The order's lines as the engine reads them (uses prefetched lines and drugs)."""
    return [
        LineFacts(
            drug=premedication_drug_facts(line.drug),
            dose=line.dose,
            dose_unit=line.dose_unit,
            route=line.route,
            minutes_before=line.minutes_before,
        )
        for line in _lines_with_drugs(order)
    ]


def _lines_with_drugs(order: Order) -> list[PremedicationLine]:
    if "premedication_lines" in getattr(order, "_prefetched_objects_cache", {}):
        return list(order.premedication_lines.all())
    if order.pk is None:
        return []
    return list(order.premedication_lines.select_related("drug"))


def default_premedication_text(patient: Patient | None, on: date) -> str:
    """The premedication a new order starts with (docs/clinical-rules.md 3.5): the dosing
    policy's for an adult; for a child (under 18) with a weight on or before ``on``, the
    catalogue's default drugs at the children's weight-based doses (rounded down to a whole mg,
    never above the adult dose), e.g. "diphenhydramine 12 mg PO; acetaminophen 180 mg PO" for
    12 kg. A child without a weight starts with the policy's, which PREMEDICATION_DOSE_HIGH
    judges once a weight is known."""
    policy_text = current_policy().default_premedication
    if patient is None or not is_child(patient.age_years(on)):
        return policy_text
    weight = patient.weights.filter(measured_on__lte=on).first()
    if weight is None:
        return policy_text
    catalogue = {drug.slug: drug for drug in PremedicationDrug.objects.filter(active=True)}
    parts = []
    for default in DEFAULT_PREMEDICATION_DRUGS:
        row = catalogue.get(default.slug)
        if row is None:
            continue
        dose = default_dose(premedication_drug_facts(row), patient.age_years(on), weight.weight_kg)
        if dose is not None:
            parts.append(f"{row.slug} {format_decimal(dose)} {row.dose_unit} {row.route}")
    return "; ".join(parts) or policy_text
