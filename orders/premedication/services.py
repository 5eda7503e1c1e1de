"""An order's premedication lines (docs/clinical-rules.md 3.5).

The order form and API take premedication line by line: a catalogue drug, a dose in the drug's
unit, a route and the minutes before the start. ``line_problems`` is the one place the rules of
a line are checked (the form, the API's serializer and the services ask it); every save of an
order writes its version's lines (audited). A new order starts with the engine's defaults for
the patient (``default_line_values``); a new version copies its lines. Orders written before the
lines existed keep their text: what did not read as a line is shown "as written".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from formulary.engine_inputs import premedication_drug_facts
from formulary.premedication.models import PremedicationDrug, Route
from ivig.accounts.models import User
from ivig.engine import DEFAULT_PREMEDICATION_DRUGS, format_decimal
from ivig.engine import PremedicationLine as LineFacts
from ivig.engine.premedication import default_lines
from orders.dose_plans.per_request import policy_in_force

from ..errors import OrderError
from ..models import Order, Patient
from .models import (
    MINUTES_BEFORE_MAX,
    MINUTES_BEFORE_MIN,
    PremedicationLine,
)
from .parsing import CatalogueDrug, catalogue_index, parse_premedication, written_line

# A typo guard, not a clinical limit (docs/clinical-rules.md 3.5): a dose above this many times
# the drug's adult dose is refused (an extra digit: 250 mg for 25 mg).
MAX_DOSE_TIMES_ADULT = 4
LINES_FIELD = "premedication_lines"


class LineLike(Protocol):
    """A line as words read it: an order's, a reaction plan's, or values as entered."""

    @property
    def drug(self) -> PremedicationDrug: ...
    @property
    def dose(self) -> Decimal: ...
    @property
    def dose_unit(self) -> str: ...
    @property
    def route(self) -> str: ...
    @property
    def minutes_before(self) -> int: ...


@dataclass(frozen=True)
class LineValues:
    """One premedication line as entered: the drug, the dose in ``dose_unit``, the route and the
    minutes before the start."""

    drug: PremedicationDrug
    dose: Decimal
    dose_unit: str
    route: str
    minutes_before: int

    def key(self) -> tuple[int, Decimal, str, str, int]:
        return (self.drug.pk, self.dose, self.dose_unit, self.route, self.minutes_before)

    def fields(self) -> dict[str, Any]:
        """The line's values as a stored line's fields (an order's or a reaction plan's)."""
        return {
            "drug": self.drug,
            "dose": self.dose,
            "dose_unit": self.dose_unit,
            "route": self.route,
            "minutes_before": self.minutes_before,
        }


def line_problems(
    lines: Sequence[LineValues], *, allowed_drug_ids: Iterable[int] | None = None
) -> dict[int, dict[str, str]]:
    """What is wrong with each line, by its index and field (empty when nothing): a drug no
    longer in the catalogue (unless ``allowed_drug_ids``, the order's own, name it), a second
    line of the same drug, a unit other than the catalogue's, a dose not above 0 or above
    ``MAX_DOSE_TIMES_ADULT`` times the adult dose, a route not PO/IV/IM/PR, minutes before the
    start outside 15-30."""
    allowed = set(allowed_drug_ids or ())
    problems: dict[int, dict[str, str]] = {}
    seen: set[int] = set()
    for index, line in enumerate(lines):
        found: dict[str, str] = {}
        drug = line.drug
        if not drug.active and drug.pk not in allowed:
            found["drug"] = f"{drug.name} is no longer in the premedication catalogue."
        elif drug.pk in seen:
            found["drug"] = f"{drug.name} is on another line already: give it once."
        seen.add(drug.pk)
        if line.dose_unit != drug.dose_unit:
            found["dose_unit"] = f"{drug.name} is dosed in {drug.dose_unit}."
        highest = drug.adult_dose * MAX_DOSE_TIMES_ADULT
        if line.dose <= 0:
            found["dose"] = "The dose must be above 0."
        elif line.dose > highest:
            found["dose"] = (
                f"{format_decimal(line.dose)} {drug.dose_unit} is more than "
                f"{MAX_DOSE_TIMES_ADULT} times the adult dose of {drug.name} "
                f"({format_decimal(drug.adult_dose)} {drug.dose_unit}): check the dose."
            )
        elif line.dose != line.dose.quantize(Decimal("0.01")):
            found["dose"] = "The dose has at most 2 decimal places."
        if line.route not in Route.values:
            found["route"] = "The route is PO, IV, IM or PR."
        if not MINUTES_BEFORE_MIN <= line.minutes_before <= MINUTES_BEFORE_MAX:
            found["minutes_before"] = (
                f"Premedication is given {MINUTES_BEFORE_MIN} to {MINUTES_BEFORE_MAX} minutes "
                "before the start."
            )
        if found:
            problems[index] = found
    return problems


def line_messages(
    problems: Mapping[int, Mapping[str, str]], lines: Sequence[LineValues]
) -> list[str]:
    """``line_problems`` as messages, each naming its line ("Line 2 (Hydrocortisone): ...")."""
    return [
        f"Line {index + 1} ({lines[index].drug.name}): {message}"
        for index, fields in sorted(problems.items())
        for message in fields.values()
    ]


def lines_error(
    problems: Mapping[int, Mapping[str, str]], lines: Sequence[LineValues]
) -> OrderError:
    """``line_problems`` as one refusal on ``premedication_lines``, each message naming its line."""
    messages = line_messages(problems, lines)
    return OrderError(OrderError.INVALID, " ".join(messages), field_errors={LINES_FIELD: messages})


def lines_of(order: Order) -> list[LineValues]:
    """The order's lines as values (for a new version, a form or a comparison)."""
    return values_of(_lines_with_drugs(order))


def values_of(lines: Iterable[LineLike]) -> list[LineValues]:
    """Stored lines (an order's or a reaction plan's) as values."""
    return [
        LineValues(
            drug=line.drug,
            dose=line.dose,
            dose_unit=line.dose_unit,
            route=line.route,
            minutes_before=line.minutes_before,
        )
        for line in lines
    ]


def premedication_lines_save(
    order: Order,
    lines: Sequence[LineValues],
    by: User,
    *,
    allowed_drug_ids: Iterable[int] = (),
    check: bool = True,
) -> list[PremedicationLine]:
    """Replace ``order``'s lines with ``lines`` (in the caller's transaction), refused as an
    ``OrderError`` on ``premedication_lines`` when ``line_problems`` finds any (``check``:
    False for the lines of the version a new version copies); audited."""
    problems = line_problems(lines, allowed_drug_ids=allowed_drug_ids) if check else {}
    if problems:
        raise lines_error(problems, lines)
    for old in order.premedication_lines.all():
        old._history_user = by  # type: ignore[attr-defined]
        old.delete()
    saved = []
    for position, line in enumerate(lines, start=1):
        row = PremedicationLine(order=order, position=position, **line.fields())
        row._history_user = by  # type: ignore[attr-defined]
        row.full_clean()
        row.save()
        saved.append(row)
    return saved


def default_line_values(patient: Patient | None, on: date) -> list[LineValues]:
    """The premedication a new order starts with (docs/clinical-rules.md 3.5): the engine's
    default lines for the patient (adults' doses; for a child under 18 with a weight on or
    before ``on``, the weight-based doses), from the catalogue's active drugs, each the policy's
    premedication lead before the start. A child without a weight starts with none: the
    prescriber enters the doses, which PREMEDICATION_DOSE_HIGH judges once a weight is known."""
    catalogue = {drug.slug: drug for drug in PremedicationDrug.objects.filter(active=True)}
    age = patient.age_years(on) if patient is not None else 18
    weight = patient.weights.filter(measured_on__lte=on).first() if patient is not None else None
    drugs = tuple(
        premedication_drug_facts(catalogue[default.slug])
        for default in DEFAULT_PREMEDICATION_DRUGS
        if default.slug in catalogue
    )
    minutes_before = policy_in_force().premedication_lead_minutes
    return [
        LineValues(
            drug=catalogue[line.drug.slug],
            dose=line.dose,
            dose_unit=line.dose_unit,
            route=line.route,
            minutes_before=minutes_before,
        )
        for line in default_lines(age, weight.weight_kg if weight else None, drugs)
    ]


def line_facts(lines: Iterable[LineValues]) -> list[LineFacts]:
    """Lines as the engine reads them (PREMEDICATION_DOSE_HIGH)."""
    return [
        LineFacts(
            drug=premedication_drug_facts(line.drug),
            dose=line.dose,
            dose_unit=line.dose_unit,
            route=line.route,
            minutes_before=line.minutes_before,
        )
        for line in lines
    ]


@dataclass(frozen=True)
class PremedicationShown:
    """What the pages show: the structured lines and any part kept as written."""

    lines: list[PremedicationLine]
    as_written: tuple[str, ...]


def _catalogue_index() -> dict[str, CatalogueDrug]:
    return catalogue_index(
        [
            CatalogueDrug(slug=d.slug, name=d.name, route=d.route)
            for d in PremedicationDrug.objects.all()
        ]
    )


def premedication_shown(order: Order) -> PremedicationShown:
    """The order's lines and the parts of its text (orders written before the lines) that are
    not lines. An order without lines shows its whole text as written: nothing written is ever
    hidden."""
    lines = _lines_with_drugs(order)
    if not order.premedication.strip():
        return PremedicationShown(lines, ())
    parts = tuple(part.strip() for part in order.premedication.replace("\n", ";").split(";"))
    if not lines:
        return PremedicationShown([], tuple(part for part in parts if part))
    return PremedicationShown(
        lines, parse_premedication(order.premedication, _catalogue_index()).as_written
    )


def line_words(line: LineLike) -> str:
    """ "Diphenhydramine 25 mg PO" (an order's line or a reaction plan's)."""
    return written_line(line.drug.name, line.dose, line.dose_unit, line.route)


def lines_sentence(lines: Iterable[LineLike]) -> str:
    """ "Hydrocortisone 100 mg IV, 30 min before the start; ..." ("" for no line)."""
    return "; ".join(
        written_line(line.drug.name, line.dose, line.dose_unit, line.route, line.minutes_before)
        for line in lines
    )


def premedication_words(order: Order) -> str:
    """The order's premedication in one sentence for another system or a record ("" for none):
    each line with its minutes before the start, then any part kept as written."""
    shown = premedication_shown(order)
    return "; ".join(part for part in [lines_sentence(shown.lines), *shown.as_written] if part)


def premedication_line_facts(order: Order) -> list[LineFacts]:
    """The order's lines as the engine reads them (uses prefetched lines and drugs)."""
    return line_facts(lines_of(order))


def _lines_with_drugs(order: Order) -> list[PremedicationLine]:
    if "premedication_lines" in getattr(order, "_prefetched_objects_cache", {}):
        return list(order.premedication_lines.all())
    if order.pk is None:
        return []
    return list(order.premedication_lines.select_related("drug"))
