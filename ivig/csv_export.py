"""The one CSV writer every export uses (docs/architecture.md, Exports).

A spreadsheet reads a cell beginning with ``=``, ``+``, ``-`` or ``@`` as a formula (and a tab or
carriage return ahead of one as the same): a product named ``=HYPERLINK(...)`` would run when
the pharmacist opens the file. Following OWASP's CSV injection rule, such a text cell is written
with a leading apostrophe, which spreadsheets show as text. Numbers are written as numbers: a
negative amount is a number, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet reads it as text, never as a formula (module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal | float | date):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, stream: _Writable) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
