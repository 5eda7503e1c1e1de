"""Reading premedication text into lines (docs/clinical-rules.md 3.5): what reads as a line, and
what is kept as written rather than guessed at."""

from decimal import Decimal

import pytest

from orders.premedication.parsing import (
    CatalogueDrug,
    ParsedLine,
    catalogue_index,
    parse_premedication,
)

CATALOGUE = catalogue_index(
    [
        CatalogueDrug("diphenhydramine", "Diphenhydramine", "PO"),
        CatalogueDrug("acetaminophen", "Acetaminophen", "PO"),
        CatalogueDrug("hydrocortisone", "Hydrocortisone", "IV"),
    ]
)


def test_the_policy_default_reads_as_two_lines() -> None:
    parsed = parse_premedication("diphenhydramine 25 mg PO; acetaminophen 500 mg PO", CATALOGUE)
    assert parsed.lines == (
        ParsedLine("diphenhydramine", Decimal(25), "mg", "PO"),
        ParsedLine("acetaminophen", Decimal(500), "mg", "PO"),
    )
    assert parsed.as_written == ()


def test_without_a_route_the_drugs_usual_route_is_taken() -> None:
    parsed = parse_premedication("acetaminophen 500 mg\nHydrocortisone 100mg", CATALOGUE)
    assert [(line.drug_slug, line.route) for line in parsed.lines] == [
        ("acetaminophen", "PO"),
        ("hydrocortisone", "IV"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Tylenol 1 tab",  # not in the catalogue
        "diphenhydramine 1 mg/kg",  # a dose per kg is not a dose
        "diphenhydramine 25 mcg PO",  # another unit
        "diphenhydramine 25 mg PO then repeat",  # more than a line says
        "diphenhydramine 0 mg",  # not above 0
        "diphenhydramine 2.555 mg",  # finer than the line holds
        "diphenhydramine 25 mg SC",  # a route the line does not take
    ],
)
def test_anything_else_is_kept_as_written(text: str) -> None:
    parsed = parse_premedication(text, CATALOGUE)
    assert parsed.lines == ()
    assert parsed.as_written == (text,)


def test_a_mixed_text_keeps_the_parts_that_do_not_read() -> None:
    parsed = parse_premedication("diphenhydramine 25 mg PO; cetirizine 10 mg; ", CATALOGUE)
    assert [line.drug_slug for line in parsed.lines] == ["diphenhydramine"]
    assert parsed.as_written == ("cetirizine 10 mg",)


def test_empty_text_has_nothing() -> None:
    assert parse_premedication("", CATALOGUE).lines == ()
    assert parse_premedication("", CATALOGUE).as_written == ()
