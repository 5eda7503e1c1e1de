"""Reading premedication written as text into structured lines (docs/clinical-rules.md 3.5).

Pure (no Django): the data migration of old orders and the order services use the same reader.
The text is split at ";" and line breaks; a part reads as a line only when it is exactly a
catalogue drug (its name or slug), a dose, "mg" and optionally a route: "diphenhydramine 25 mg
PO", "Acetaminophen 500 mg". Without a route the drug's usual route is taken. Anything else
("Tylenol 1 tab", "diphenhydramine 1 mg/kg") is not guessed at: it stays "as written".
``written_line`` writes a line in the words this reader reads back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ivig.engine.formatting import format_decimal

_PART = re.compile(
    r"^(?P<drug>[a-z][a-z -]*?)\s+(?P<dose>\d+(?:\.\d+)?)\s*(?P<unit>mg)"
    r"(?:\s+(?P<route>po|iv|im|pr))?\s*\.?$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[;\n]+")
MAX_DOSE = Decimal("99999.99")  # the line's field holds 7 digits, 2 after the point


@dataclass(frozen=True)
class CatalogueDrug:
    slug: str
    name: str
    route: str


@dataclass(frozen=True)
class ParsedLine:
    drug_slug: str
    dose: Decimal
    dose_unit: str
    route: str


@dataclass(frozen=True)
class ParsedPremedication:
    lines: tuple[ParsedLine, ...]
    as_written: tuple[str, ...]  # the parts that did not read as a line, as written


def parse_premedication(text: str, catalogue: Mapping[str, CatalogueDrug]) -> ParsedPremedication:
    """``catalogue``: the drugs by lower-case name and slug."""
    lines: list[ParsedLine] = []
    as_written: list[str] = []
    for part in (piece.strip() for piece in _SEPARATORS.split(text or "")):
        if not part:
            continue
        line = _parse_part(part, catalogue)
        if line is None:
            as_written.append(part)
        else:
            lines.append(line)
    return ParsedPremedication(tuple(lines), tuple(as_written))


def _parse_part(part: str, catalogue: Mapping[str, CatalogueDrug]) -> ParsedLine | None:
    found = _PART.match(part)
    if found is None:
        return None
    drug = catalogue.get(found["drug"].strip().lower())
    if drug is None:
        return None
    try:
        dose = Decimal(found["dose"])
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return None
    if not 0 < dose <= MAX_DOSE or dose != dose.quantize(Decimal("0.01")):
        return None
    route = (found["route"] or drug.route).upper()
    return ParsedLine(drug_slug=drug.slug, dose=dose, dose_unit="mg", route=route)


def catalogue_index(drugs: list[CatalogueDrug]) -> dict[str, CatalogueDrug]:
    """The drugs by lower-case slug and name, for ``parse_premedication``."""
    index: dict[str, CatalogueDrug] = {}
    for drug in drugs:
        index[drug.slug.lower()] = drug
        index[drug.name.lower()] = drug
    return index


def written_line(
    name: str, dose: Decimal, unit: str, route: str, minutes_before: int | None = None
) -> str:
    """ "Hydrocortisone 100 mg IV" (", 30 min before the start" with ``minutes_before``)."""
    words = f"{name} {format_decimal(dose)} {unit} {route}"
    return words if minutes_before is None else f"{words}, {minutes_before} min before the start"
